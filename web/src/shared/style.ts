import type { StyleSpecification } from '@maplibre/maplibre-gl-style-spec'

export const OUTLINE_SOURCE = 'outline'
export const LABELS_SOURCE = 'place-labels'
const CITY_LABELS_LAYER = 'place-city'
const DISTRICT_LABELS_LAYER = 'place-district'
export const PLACE_LABEL_LAYERS = [DISTRICT_LABELS_LAYER, CITY_LABELS_LAYER]
/** Below this zoom only cities are named; the districts would crowd each other out. */
const DISTRICTS_FROM_ZOOM = 8.5

const empty = { type: 'FeatureCollection' as const, features: [] }

/**
 * The bundled basemap: a plain background, the region outline and the names of its cities and
 * districts, nothing fetched from the internet. With no `glyphs` URL MapLibre draws every
 * letter with the phone's own fonts, so the Chinese names need no font files. The outline and
 * the label points arrive later (see map.ts): a failed request costs only them.
 */
export function offlineStyle(): StyleSpecification {
  const halo = { 'text-halo-color': '#fbfaf5', 'text-halo-width': 2, 'text-halo-blur': 0.5 }
  return {
    version: 8,
    name: 'Yizhan offline',
    sources: {
      [OUTLINE_SOURCE]: { type: 'geojson', data: empty },
      [LABELS_SOURCE]: { type: 'geojson', data: empty },
    },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': '#e4e9ee' } },
      {
        id: 'outline-fill',
        type: 'fill',
        source: OUTLINE_SOURCE,
        paint: { 'fill-color': '#fbfaf5', 'fill-opacity': 0.9 },
      },
      {
        id: 'outline-line',
        type: 'line',
        source: OUTLINE_SOURCE,
        layout: { 'line-join': 'round' },
        paint: {
          'line-color': '#9aa8b6',
          'line-width': ['interpolate', ['linear'], ['zoom'], 5, 1, 10, 2.5],
        },
      },
      {
        id: DISTRICT_LABELS_LAYER,
        type: 'symbol',
        source: LABELS_SOURCE,
        minzoom: DISTRICTS_FROM_ZOOM,
        filter: ['==', ['get', 'level'], 'district'],
        layout: {
          'text-field': ['get', 'name'],
          'text-font': ['Noto Sans Regular'],
          'text-size': ['interpolate', ['linear'], ['zoom'], 9, 12, 14, 16],
          'text-letter-spacing': 0.1,
          'symbol-sort-key': ['-', ['get', 'stations']],
          'text-padding': 6,
        },
        paint: { 'text-color': '#5c6670', ...halo },
      },
      {
        id: CITY_LABELS_LAYER,
        type: 'symbol',
        source: LABELS_SOURCE,
        filter: ['==', ['get', 'level'], 'city'],
        layout: {
          'text-field': ['get', 'name'],
          'text-font': ['Noto Sans Bold'],
          'text-size': ['interpolate', ['linear'], ['zoom'], 5, 13, 8, 16, 12, 20],
          // 湘西土家族苗族自治州 on two lines
          'text-max-width': 6,
          'symbol-sort-key': ['-', ['get', 'stations']],
          'text-padding': 4,
        },
        paint: { 'text-color': '#2b3138', ...halo },
      },
    ],
  }
}
