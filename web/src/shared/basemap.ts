import type { StyleSpecification } from '@maplibre/maplibre-gl-style-spec'
import type { Meta } from './api.ts'
import { offlineStyle } from './style.ts'

export type Basemap = Meta['basemap']

const TIANDITU_SUBDOMAINS = ['0', '1', '2', '3', '4', '5', '6', '7']

/** Tianditu's Web Mercator WMTS tiles of one layer (`vec` streets, `cva` their labels). */
function tiandituTiles(layer: 'vec' | 'cva', key: string): string[] {
  const query =
    `SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=${layer}&STYLE=default` +
    `&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=${encodeURIComponent(key)}`
  return TIANDITU_SUBDOMAINS.map((s) => `https://t${s}.tianditu.gov.cn/${layer}_w/wmts?${query}`)
}

function rasterStyle(
  name: string,
  sources: { id: string; tiles: string[]; attribution?: string; maxzoom: number }[],
): StyleSpecification {
  return {
    version: 8,
    name,
    sources: Object.fromEntries(
      sources.map(({ id, ...s }) => [id, { type: 'raster' as const, tileSize: 256, ...s }]),
    ),
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': '#f2efe9' } },
      ...sources.map((s) => ({ id: s.id, type: 'raster' as const, source: s.id })),
    ],
  }
}

/**
 * The MapLibre style of the configured basemap: a style URL as it is, or one built here.
 * The PMTiles reader and the Protomaps layers are loaded only when that basemap is used.
 */
export async function basemapStyle(basemap: Basemap): Promise<StyleSpecification | string> {
  switch (basemap.kind) {
    case 'offline':
      return offlineStyle()
    case 'style':
      return basemap.url
    case 'tianditu':
      // CGCS2000, which Tianditu draws in, is within centimetres of WGS-84: no shift needed
      return rasterStyle('Tianditu', [
        {
          id: 'tianditu-vec',
          tiles: tiandituTiles('vec', basemap.key),
          attribution: '<a href="https://www.tianditu.gov.cn/">天地图</a>',
          maxzoom: 18,
        },
        { id: 'tianditu-cva', tiles: tiandituTiles('cva', basemap.key), maxzoom: 18 },
      ])
    case 'osm':
      return rasterStyle('OpenStreetMap', [
        { id: 'osm', tiles: [basemap.tiles], attribution: basemap.attribution, maxzoom: 19 },
      ])
    case 'pmtiles': {
      const { protomapsStyle } = await import('./protomaps.ts')
      return protomapsStyle(new URL(basemap.url, location.href).href)
    }
  }
}
