import { describe, expect, it } from 'vitest'
import type { RasterSourceSpecification } from '@maplibre/maplibre-gl-style-spec'
import { basemapStyle } from './basemap.ts'

describe('basemap styles built in the page', () => {
  it('Tianditu: streets under their labels, from t0-t7, with the key', async () => {
    const style = await basemapStyle({ kind: 'tianditu', key: 'abc123abc123abc123' })
    if (typeof style === 'string') throw new Error('expected a built style')
    expect(style.layers.map((l) => l.id)).toEqual(['background', 'tianditu-vec', 'tianditu-cva'])
    const vec = style.sources['tianditu-vec'] as RasterSourceSpecification
    expect(vec.tiles).toHaveLength(8)
    expect(vec.tiles![7]).toMatch(/^https:\/\/t7\.tianditu\.gov\.cn\/vec_w\/wmts\?/)
    expect(vec.tiles![0]).toContain('LAYER=vec&STYLE=default&TILEMATRIXSET=w')
    expect(vec.tiles![0]).toContain('TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=abc123abc123abc123')
    expect(vec.attribution).toContain('天地图')
    const cva = style.sources['tianditu-cva'] as RasterSourceSpecification
    expect(cva.tiles![0]).toMatch(/\/cva_w\/wmts\?.*LAYER=cva/)
  })

  it('OSM raster: the configured tiles and credit', async () => {
    const style = await basemapStyle({
      kind: 'osm',
      tiles: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png',
      attribution: '© OpenStreetMap contributors',
    })
    if (typeof style === 'string') throw new Error('expected a built style')
    expect(style.sources.osm).toMatchObject({
      type: 'raster',
      tiles: ['https://tile.openstreetmap.org/{z}/{x}/{y}.png'],
      attribution: '© OpenStreetMap contributors',
    })
  })

  it('a style URL as it is', async () => {
    expect(await basemapStyle({ kind: 'style', url: 'https://example.org/s.json' })).toBe(
      'https://example.org/s.json',
    )
  })
})
