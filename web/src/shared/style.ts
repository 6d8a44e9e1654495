import type { StyleSpecification } from '@maplibre/maplibre-gl-style-spec'

export const OUTLINE_SOURCE = 'outline'

/**
 * The bundled basemap: a plain background and the region outline, nothing fetched from the
 * internet. No glyphs or sprite, so no symbol layers: everything drawn here is fills, lines and
 * circles. The outline data arrives later (see map.ts) so a failed request costs only the outline.
 */
export function offlineStyle(): StyleSpecification {
  return {
    version: 8,
    name: 'Yizhan offline',
    sources: {
      [OUTLINE_SOURCE]: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
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
    ],
  }
}
