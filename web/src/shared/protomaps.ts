import { addProtocol } from 'maplibre-gl'
import type { LayerSpecification, StyleSpecification } from '@maplibre/maplibre-gl-style-spec'
import { Protocol } from 'pmtiles'
import { layers, namedFlavor } from '@protomaps/basemaps'

export const PROTOMAPS_SOURCE = 'protomaps'

let protocol: Protocol | null = null

/**
 * Protomaps' icons come from a sprite we do not serve: a label keeps its text without its
 * icon, and a layer that is only icons (one-way arrows, road shields) is left out.
 */
function withoutIcons(layer: LayerSpecification): LayerSpecification | null {
  if (layer.type !== 'symbol' || !layer.layout?.['icon-image']) return layer
  if (!layer.layout['text-field'] || layer.id === 'roads_shields') return null
  const layout = Object.fromEntries(
    Object.entries(layer.layout).filter(([k]) => !k.startsWith('icon-')),
  )
  return { ...layer, layout }
}

/**
 * A Protomaps basemap (light, names in simplified Chinese) read from a PMTiles file by byte
 * ranges. No `glyphs` URL: MapLibre draws the labels with the phone's own fonts.
 */
export function protomapsStyle(url: string): StyleSpecification {
  if (!protocol) {
    protocol = new Protocol()
    addProtocol('pmtiles', protocol.tile)
  }
  return {
    version: 8,
    name: 'Protomaps light',
    sources: {
      [PROTOMAPS_SOURCE]: {
        type: 'vector',
        url: `pmtiles://${url}`,
        attribution:
          '<a href="https://protomaps.com">Protomaps</a> © <a href="https://openstreetmap.org/copyright">OpenStreetMap</a>',
      },
    },
    layers: layers(PROTOMAPS_SOURCE, namedFlavor('light'), { lang: 'zh-Hans' })
      .map(withoutIcons)
      .filter((l) => l !== null),
  }
}
