import 'maplibre-gl/dist/maplibre-gl.css'
import { Marker, type PointLike } from 'maplibre-gl'
import type { Meta, Station } from '../shared/api.ts'
import { el } from '../shared/dom.ts'
import { StationMap, type StationMapHandlers } from '../shared/map.ts'
import { statusColor } from '../shared/stations.ts'

/** Pins closer than this (px, centre to centre) would cover each other's number. */
const PIN_CLEARANCE_PX = 34
/** The pin's point sits this far below its round head (app.css). */
const PIN_POINT_PX = 9

/**
 * The courier's map: the shared station map plus numbered pins for the listed stations. It is
 * its own chunk, loaded after the list is usable, because MapLibre is most of the app's bytes.
 */
export class CourierMap extends StationMap {
  private readonly pins = new Map<number, Marker>()

  constructor(container: HTMLElement, meta: Meta | null, handlers: StationMapHandlers) {
    super(container, meta, handlers)
    this.map.on('zoom', () => this.spreadPins())
  }

  /** One numbered pin per listed station, in list order. */
  setPins(stations: Station[], open: (id: number) => void): void {
    for (const pin of this.pins.values()) pin.remove()
    this.pins.clear()
    stations.forEach((station, i) => {
      const element = el('button', 'pin', String(i + 1))
      element.type = 'button'
      element.setAttribute('aria-label', `${i + 1}. ${station.name}`)
      element.addEventListener('click', (e) => {
        e.stopPropagation()
        open(station.id)
      })
      const marker = new Marker({ element, anchor: 'bottom', offset: [0, -PIN_POINT_PX] })
        .setLngLat([station.location.lon, station.location.lat])
        .addTo(this.map)
      this.pins.set(station.id, marker)
    })
    this.spreadPins()
  }

  paintPin(station: Station, selected: boolean): void {
    const element = this.pins.get(station.id)?.getElement()
    if (!element) return
    element.dataset.stationId = String(station.id)
    element.dataset.availability = station.status.availability
    element.dataset.stale = String(station.status.stale)
    element.dataset.version = String(station.status.version)
    element.style.setProperty('--pin-color', statusColor(station.status))
    element.classList.toggle('pin-selected', selected)
  }

  /**
   * Pins whose heads would overlap at this zoom are laid side by side above their stations,
   * in list order, so every number stays readable and tappable.
   */
  private spreadPins(): void {
    const placed = [...this.pins.values()].map((marker) => ({
      marker,
      at: this.map.project(marker.getLngLat()),
    }))
    const groups: (typeof placed)[] = []
    for (const pin of placed) {
      const near = groups.find((g) =>
        g.some((p) => Math.hypot(p.at.x - pin.at.x, p.at.y - pin.at.y) < PIN_CLEARANCE_PX),
      )
      if (near) near.push(pin)
      else groups.push([pin])
    }
    for (const group of groups) {
      const cx = group.reduce((s, p) => s + p.at.x, 0) / group.length
      const cy = group.reduce((s, p) => s + p.at.y, 0) / group.length
      group.forEach(({ marker, at }, i) => {
        const spread = group.length > 1
        const offset: PointLike = spread
          ? [cx - at.x + (i - (group.length - 1) / 2) * PIN_CLEARANCE_PX, cy - at.y - PIN_POINT_PX]
          : [0, -PIN_POINT_PX]
        marker.setOffset(offset)
        marker.getElement().classList.toggle('pin-spread', spread)
      })
    }
  }
}
