import { Marker } from 'maplibre-gl'
import { AMENITIES, STATION_STATES } from '../../../contract/vocabulary.ts'
import { CRSES, toWgs84, type Crs } from '../../../contract/crs.ts'
import { ProblemError, type Me } from '../shared/api.ts'
import { button, el } from '../shared/dom.ts'
import { t } from '../shared/i18n.ts'
import type { LngLat, StationMap } from '../shared/map.ts'
import { createStation, listStations, updateStation, type AdminStation } from './api.ts'
import { field, select, status, table, textInput } from './form.ts'
import type { Section } from './admin.ts'

/** Coordinates as pasted ("112.98, 28.19"), in the chosen system, as WGS-84. */
export function parseLonLat(text: string, crs: Crs): LngLat | null {
  const parts = text
    .split(/[\s,，]+/)
    .filter(Boolean)
    .map(Number)
  if (parts.length !== 2 || !parts.every(Number.isFinite)) return null
  const [lon, lat] = parts as [number, number]
  if (Math.abs(lon) > 180 || Math.abs(lat) > 90) return null
  return toWgs84(lon, lat, crs)
}

const problem = (err: unknown) =>
  err instanceof ProblemError ? err.detail || err.title : String(err)

/** The stations table (search, state filter) and the form to create, edit, move or retire. */
export class Stations implements Section {
  readonly element = el('section', 'admin-section admin-stations')
  private readonly list = el('div', 'admin-list')
  private readonly editor = el('div', 'admin-editor')
  private readonly search = textInput('q', '', 'search')
  private readonly state = select('state', [])
  private readonly note = status()
  private stations: AdminStation[] = []
  private next: string | null = null
  private editing: AdminStation | 'new' | null = null
  private marker: Marker | null = null
  private position: LngLat | null = null

  constructor(
    private readonly map: StationMap,
    private readonly me: Me,
  ) {
    let timer: ReturnType<typeof setTimeout> | undefined
    this.search.addEventListener('input', () => {
      clearTimeout(timer)
      timer = setTimeout(() => void this.load(), 300)
    })
    this.state.addEventListener('change', () => void this.load())
  }

  open(): void {
    this.render()
    void this.load()
  }

  close(): void {
    this.map.pickPlaces = false
    this.setMarker(null)
  }

  place(at: LngLat): void {
    if (this.editing === null || this.editing === 'new') {
      this.editing = 'new'
      this.position = at
      this.setMarker(at)
      this.renderEditor()
    }
  }

  station(id: number): void {
    const found = this.stations.find((s) => s.id === id)
    if (found) this.edit(found)
  }

  private async load(more = false): Promise<void> {
    try {
      const page = await listStations({
        q: this.search.value.trim(),
        state: this.state.value,
        cursor: more ? (this.next ?? undefined) : undefined,
      })
      this.stations = more ? [...this.stations, ...page.stations] : page.stations
      this.next = page.next_cursor
      this.renderList()
    } catch (err) {
      this.note.textContent = t().admin.failed + problem(err)
    }
  }

  private render(): void {
    const a = t().admin
    this.search.placeholder = a.search
    this.search.setAttribute('aria-label', a.search)
    const states: [string, string][] = [
      ['', a.stateAll],
      ...STATION_STATES.map((s): [string, string] => [s, a.states[s]]),
    ]
    const current = this.state.value
    this.state.replaceChildren(
      ...states.map(([v, label]) => Object.assign(el('option', '', label), { value: v })),
    )
    this.state.value = current
    this.state.setAttribute('aria-label', a.state)
    const create = button('primary-button', a.newStation, () => this.edit('new'))
    this.element.replaceChildren(
      el('div', 'admin-toolbar', this.search, this.state, create),
      this.note,
      this.editor,
      this.list,
    )
    this.renderEditor()
    this.renderList()
  }

  private renderList(): void {
    const a = t().admin
    if (!this.stations.length) {
      this.list.replaceChildren(el('p', 'muted', a.none))
      return
    }
    const rows = this.stations.map((s) => [
      button('link-button', s.code, () => this.edit(s)),
      s.name,
      [s.city, s.district].filter(Boolean).join(' '),
      a.states[s.state ?? 'active'],
      String(s.managers),
    ])
    const more = this.next ? button('secondary-button', a.more, () => void this.load(true)) : ''
    this.list.replaceChildren(
      el('p', 'muted', a.count(this.stations.length, this.next !== null)),
      table([a.code, a.name, a.city, a.state, a.managers], rows),
      more,
    )
  }

  private edit(target: AdminStation | 'new' | null): void {
    this.editing = target
    // placing a new station: a click on the map picks the spot, even beside another station
    this.map.pickPlaces = target === 'new'
    this.position = target === null || target === 'new' ? null : target.location
    this.setMarker(this.position)
    if (this.position) this.map.focus(this.position, 15)
    this.renderEditor()
  }

  private setMarker(at: LngLat | null): void {
    this.marker?.remove()
    this.marker = null
    if (!at) return
    const marker = new Marker({ draggable: true, color: '#c2410c' })
      .setLngLat([at.lon, at.lat])
      .addTo(this.map.map)
    marker.on('dragend', () => {
      const p = marker.getLngLat()
      this.position = { lon: p.lng, lat: p.lat }
      this.renderEditor()
    })
    this.marker = marker
  }

  private renderEditor(): void {
    const a = t().admin
    const target = this.editing
    if (target === null) {
      this.editor.replaceChildren()
      return
    }
    const s = target === 'new' ? null : target
    const form = el('form', 'admin-form')
    const code = textInput('code', s?.code ?? '')
    code.required = true
    code.readOnly = s !== null
    const name = textInput('name', s?.name ?? '')
    name.required = true
    const address = textInput('address', s?.address ?? '')
    const city = textInput('city', s?.city ?? this.me.region.city ?? '')
    const district = textInput('district', s?.district ?? this.me.region.district ?? '')
    const capacity = textInput('capacity', String(s?.capacity ?? 6), 'number')
    capacity.min = '0'
    const chargers = textInput('charging_points', String(s?.charging_points ?? 0), 'number')
    chargers.min = '0'
    const hours = textInput('opening_hours', s?.opening_hours ?? '24/7')
    const phone = textInput('phone', s?.phone ?? '')
    const crs = select(
      'crs',
      CRSES.map((c): [string, string] => [c, a.crses[c]]),
    )
    const lonLat = textInput(
      'lonlat',
      this.position ? `${this.position.lon.toFixed(6)}, ${this.position.lat.toFixed(6)}` : '',
    )
    lonLat.addEventListener('change', () => {
      const at = parseLonLat(lonLat.value, crs.value as Crs)
      if (!at) return
      this.position = at
      this.setMarker(at)
      this.map.focus(at, 15)
    })
    const amenities = el('fieldset', 'admin-amenities', el('legend', '', a.amenities))
    for (const amenity of AMENITIES) {
      const box = textInput('amenities', amenity, 'checkbox')
      box.checked = s?.amenities?.includes(amenity) ?? false
      amenities.append(el('label', 'admin-check', box, t().amenities[amenity]))
    }
    const note = status()
    const submit = el('button', 'primary-button', a.save)
    submit.type = 'submit'
    const actions = el('div', 'admin-actions', submit)
    actions.append(button('secondary-button', a.cancel, () => this.edit(null)))
    if (s && s.state !== 'retired')
      actions.append(button('danger-button', a.retire, () => void this.save({ state: 'retired' })))
    if (s && s.state === 'retired')
      actions.append(
        button('secondary-button', a.restore, () => void this.save({ state: 'active' })),
      )
    form.addEventListener('submit', (e) => {
      e.preventDefault()
      const chosen = AMENITIES.filter(
        (x) => amenities.querySelector<HTMLInputElement>(`input[value="${x}"]`)!.checked,
      )
      const body = {
        name: name.value.trim(),
        address: address.value.trim(),
        city: city.value.trim(),
        district: district.value.trim(),
        capacity: Number(capacity.value),
        charging_points: Number(chargers.value),
        opening_hours: hours.value.trim(),
        phone: phone.value.trim(),
        amenities: chosen,
        ...(this.position ? { location: this.position } : {}),
      }
      void this.save(s ? body : { ...body, code: code.value.trim() }, note)
    })
    form.append(
      el('h3', '', s ? a.editStation(s.code) : a.newStation),
      el('p', 'muted', s ? a.dragHint : a.newStationHint),
      field(a.code, code),
      field(a.name, name),
      field(a.address, address),
      el('div', 'admin-row', field(a.city, city), field(a.district, district)),
      el('div', 'admin-row', field(a.lonLat, lonLat), field(a.crs, crs)),
      el('div', 'admin-row', field(a.capacity, capacity), field(a.chargers, chargers)),
      el('div', 'admin-row', field(a.openingHours, hours), field(a.phone, phone)),
      amenities,
      actions,
      note,
    )
    this.editor.replaceChildren(form)
  }

  private async save(body: Record<string, unknown>, note = this.note): Promise<void> {
    const target = this.editing
    note.textContent = t().admin.saving
    try {
      if (target === 'new') await createStation(body as never)
      else if (target) await updateStation(target.id, body)
      note.textContent = t().admin.saved
      this.map.reloadStations()
      await this.load()
      if (target && target !== 'new') {
        const fresh = this.stations.find((s) => s.id === target.id)
        if (fresh) this.editing = fresh
      } else {
        this.editing = null
        this.map.pickPlaces = false
      }
      this.renderEditor()
      if (this.editing === null) this.setMarker(null)
      this.note.textContent = t().admin.saved
    } catch (err) {
      note.textContent = t().admin.failed + problem(err)
    }
  }
}
