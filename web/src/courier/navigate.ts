import gcoord from 'gcoord'

export type NavApp = 'amap' | 'baidu' | 'osm'

export interface NavTarget {
  name: string
  address: string
  location: { lon: number; lat: number }
}

const fixed = (v: number) => v.toFixed(6)

/**
 * Links that open the station in a map app. Our coordinates are WGS-84; Amap wants GCJ-02 and
 * Baidu BD-09, or the pin lands a few hundred metres off in China.
 */
export function navigationLinks(target: NavTarget): Record<NavApp, string> {
  const { lon, lat } = target.location
  const [gLon, gLat] = gcoord.transform([lon, lat], gcoord.WGS84, gcoord.GCJ02)
  const [bLon, bLat] = gcoord.transform([lon, lat], gcoord.WGS84, gcoord.BD09)
  const amap = new URLSearchParams({
    position: `${fixed(gLon)},${fixed(gLat)}`,
    name: target.name,
    coordinate: 'gaode',
    callnative: '1',
    src: 'yizhan',
  })
  const baidu = new URLSearchParams({
    location: `${fixed(bLat)},${fixed(bLon)}`,
    title: target.name,
    content: target.address || target.name,
    output: 'html',
    coord_type: 'bd09ll',
    src: 'webapp.yizhan',
  })
  return {
    amap: `https://uri.amap.com/marker?${amap}`,
    baidu: `https://api.map.baidu.com/marker?${baidu}`,
    osm: `https://www.openstreetmap.org/?mlat=${fixed(lat)}&mlon=${fixed(lon)}#map=17/${fixed(lat)}/${fixed(lon)}`,
  }
}
