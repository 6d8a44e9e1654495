import { describe, expect, it } from 'vitest'
import gcoord from 'gcoord'
import { navigationLinks } from './navigate.ts'

const station = {
  name: '五一广场户外劳动者服务站',
  address: '湖南省长沙市芙蓉区五一大道1号',
  location: { lon: 112.976, lat: 28.196 },
}

describe('navigation links', () => {
  const links = navigationLinks(station)

  it('gives Amap GCJ-02 coordinates, lon first', () => {
    const url = new URL(links.amap)
    expect(url.origin + url.pathname).toBe('https://uri.amap.com/marker')
    const [lon, lat] = url.searchParams.get('position')!.split(',').map(Number)
    const [gLon, gLat] = gcoord.transform([112.976, 28.196], gcoord.WGS84, gcoord.GCJ02)
    expect(lon).toBeCloseTo(gLon, 6)
    expect(lat).toBeCloseTo(gLat, 6)
    // GCJ-02 is offset by a few hundred metres from WGS-84 in Changsha
    expect(Math.abs(lon! - 112.976)).toBeGreaterThan(0.003)
    expect(url.searchParams.get('name')).toBe(station.name)
  })

  it('gives Baidu BD-09 coordinates, lat first, with the address as content', () => {
    const url = new URL(links.baidu)
    expect(url.origin + url.pathname).toBe('https://api.map.baidu.com/marker')
    const [lat, lon] = url.searchParams.get('location')!.split(',').map(Number)
    const [bLon, bLat] = gcoord.transform([112.976, 28.196], gcoord.WGS84, gcoord.BD09)
    expect(lat).toBeCloseTo(bLat, 6)
    expect(lon).toBeCloseTo(bLon, 6)
    expect(url.searchParams.get('coord_type')).toBe('bd09ll')
    expect(url.searchParams.get('output')).toBe('html')
    expect(url.searchParams.get('title')).toBe(station.name)
    expect(url.searchParams.get('content')).toBe(station.address)
  })

  it('gives OpenStreetMap the WGS-84 position unchanged', () => {
    const url = new URL(links.osm)
    expect(url.hostname).toBe('www.openstreetmap.org')
    expect(url.searchParams.get('mlat')).toBe('28.196000')
    expect(url.searchParams.get('mlon')).toBe('112.976000')
  })
})
