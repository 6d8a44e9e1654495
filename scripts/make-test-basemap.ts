// Makes test/fixtures/changsha-test.pmtiles: a small basemap in the Protomaps schema for the
// tests. Its streets are a made-up, deterministic grid over central Changsha with Chinese
// names, NOT real OpenStreetMap data (none can be downloaded here). GDAL's MVT driver cuts the
// vector tiles; they are written into a PMTiles v3 archive (no PMTiles writer is packaged for
// Node, so a small one is below) and read back with the pmtiles library.
//
//   npx tsx scripts/make-test-basemap.ts [out.pmtiles]     (needs ogr2ogr with the MVT driver)
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'
import { fileURLToPath } from 'node:url'
import { Compression, PMTiles, TileType, zxyToTileId, type Source } from 'pmtiles'

const ROOT = path.resolve(fileURLToPath(import.meta.url), '../..')
const OUT = path.resolve(process.argv[2] ?? path.join(ROOT, 'test/fixtures/changsha-test.pmtiles'))

/** Central Changsha, the Xiang river along its west side. */
const BBOX = { west: 112.955, south: 28.17, east: 113.015, north: 28.215 }
const RIVER = { west: 112.955, east: 112.962 }
const MIN_ZOOM = 10
const MAX_ZOOM = 15

type Position = [number, number]
interface Feature {
  type: 'Feature'
  properties: Record<string, string | number>
  geometry:
    | { type: 'Point'; coordinates: Position }
    | { type: 'LineString'; coordinates: Position[] }
    | { type: 'Polygon'; coordinates: Position[][] }
}

const box = (w: number, s: number, e: number, n: number): Position[][] => [
  [
    [w, s],
    [e, s],
    [e, n],
    [w, n],
    [w, s],
  ],
]
const line = (coordinates: Position[]): Feature['geometry'] => ({
  type: 'LineString',
  coordinates,
})
const round = (v: number) => Math.round(v * 1e6) / 1e6

const MAJOR_EAST_WEST = ['城南路', '人民路', '劳动路', '五一大道', '湘府路', '营盘路']
const MAJOR_NORTH_SOUTH = ['湘江中路', '黄兴路', '蔡锷路', '芙蓉中路', '韶山路', '车站路', '东二环']
const MINOR_STEMS = ['青石', '桂花', '樟树', '竹园', '梅溪', '杏林', '松柏', '荷塘', '枫林']
const NEIGHBOURHOODS = ['五一广场', '袁家岭', '东塘', '侯家塘', '南门口', '藩城堤', '朝阳', '窑岭']

/** The Protomaps layers the basemap style reads: earth, water, landuse, roads and places. */
function layers(): Record<string, Feature[]> {
  const { west, south, east, north } = BBOX
  const land = RIVER.east
  const majorLon = (i: number) => land + 0.0015 + i * ((east - land - 0.003) / 6)
  const majorLat = (j: number) => south + 0.003 + j * ((north - south - 0.006) / 5)
  const roads: Feature[] = []
  MAJOR_EAST_WEST.forEach((name, j) =>
    roads.push({
      type: 'Feature',
      properties: { kind: 'major_road', kind_detail: 'primary', name, script: 'Han', min_zoom: 10 },
      geometry: line([
        [land, round(majorLat(j))],
        [east, round(majorLat(j))],
      ]),
    }),
  )
  MAJOR_NORTH_SOUTH.forEach((name, i) => {
    const highway = i === MAJOR_NORTH_SOUTH.length - 1
    roads.push({
      type: 'Feature',
      properties: {
        kind: highway ? 'highway' : 'major_road',
        kind_detail: highway ? 'motorway' : 'primary',
        name,
        script: 'Han',
        min_zoom: highway ? 8 : 10,
      },
      geometry: line([
        [round(majorLon(i)), south],
        [round(majorLon(i)), north],
      ]),
    })
  })
  // Two lanes between each pair of main roads, each way, named after the block they cross.
  for (let i = 0; i < 6; i++)
    for (let k = 1; k <= 2; k++) {
      const lon = round(majorLon(i) + (k * (majorLon(i + 1) - majorLon(i))) / 3)
      const name = `${MINOR_STEMS[(i * 2 + k) % MINOR_STEMS.length]}${k === 1 ? '街' : '巷'}`
      roads.push({
        type: 'Feature',
        properties: { kind: 'minor_road', kind_detail: 'residential', name, script: 'Han' },
        geometry: line([
          [lon, south],
          [lon, north],
        ]),
      })
    }
  for (let j = 0; j < 5; j++)
    for (let k = 1; k <= 2; k++) {
      const lat = round(majorLat(j) + (k * (majorLat(j + 1) - majorLat(j))) / 3)
      const name = `${MINOR_STEMS[(j * 3 + k) % MINOR_STEMS.length]}${k === 1 ? '路' : '里'}`
      roads.push({
        type: 'Feature',
        properties: { kind: 'minor_road', kind_detail: 'residential', name, script: 'Han' },
        geometry: line([
          [land, lat],
          [east, lat],
        ]),
      })
    }
  const places: Feature[] = [
    {
      type: 'Feature',
      properties: {
        kind: 'locality',
        name: '长沙市',
        script: 'Han',
        min_zoom: 4,
        population_rank: 13,
      },
      geometry: { type: 'Point', coordinates: [round(majorLon(3)), round(majorLat(2.5))] },
    },
    ...NEIGHBOURHOODS.map((name, n): Feature => ({
      type: 'Feature',
      properties: { kind: 'neighbourhood', name, script: 'Han', min_zoom: 12 },
      geometry: {
        type: 'Point',
        coordinates: [
          round(majorLon((n % 4) * 1.5 + 0.5)),
          round(majorLat(Math.floor(n / 4) * 2.5 + 1.5)),
        ],
      },
    })),
  ]
  return {
    earth: [
      {
        type: 'Feature',
        properties: { kind: 'earth' },
        geometry: { type: 'Polygon', coordinates: box(west, south, east, north) },
      },
    ],
    water: [
      {
        type: 'Feature',
        properties: { kind: 'river', name: '湘江', script: 'Han' },
        geometry: { type: 'Polygon', coordinates: box(RIVER.west, south, RIVER.east, north) },
      },
    ],
    landuse: [
      {
        type: 'Feature',
        properties: { kind: 'park', name: '烈士公园', script: 'Han' },
        geometry: {
          type: 'Polygon',
          coordinates: box(
            round(majorLon(3.1)),
            round(majorLat(3.1)),
            round(majorLon(3.9)),
            round(majorLat(3.9)),
          ),
        },
      },
    ],
    roads,
    places,
  }
}

/** Cuts the layers into uncompressed MVT files, dir/z/x/y.pbf, with GDAL. */
function cutTiles(work: string): string {
  const sources = Object.entries(layers()).map(([name, features]) => {
    const file = path.join(work, `${name}.geojson`)
    fs.writeFileSync(file, JSON.stringify({ type: 'FeatureCollection', features }))
    return `<OGRVRTLayer name="${name}"><SrcDataSource>${file}</SrcDataSource></OGRVRTLayer>`
  })
  const vrt = path.join(work, 'layers.vrt')
  fs.writeFileSync(vrt, `<OGRVRTDataSource>${sources.join('')}</OGRVRTDataSource>`)
  const dir = path.join(work, 'tiles')
  execFileSync('ogr2ogr', [
    '-f',
    'MVT',
    dir,
    vrt,
    '-dsco',
    `MINZOOM=${MIN_ZOOM}`,
    '-dsco',
    `MAXZOOM=${MAX_ZOOM}`,
    '-dsco',
    'COMPRESS=NO',
  ])
  return dir
}

function writeVarint(out: number[], n: number) {
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80)
    n = Math.floor(n / 0x80)
  }
  out.push(n)
}

interface Entry {
  tileId: number
  offset: number
  length: number
}

/** A PMTiles v3 directory: counts, then delta-coded ids, run lengths, lengths and offsets. */
function directory(entries: Entry[]): Buffer {
  const out: number[] = []
  writeVarint(out, entries.length)
  let last = 0
  for (const e of entries) {
    writeVarint(out, e.tileId - last)
    last = e.tileId
  }
  for (const _ of entries) writeVarint(out, 1)
  for (const e of entries) writeVarint(out, e.length)
  entries.forEach((e, i) => {
    const previous = entries[i - 1]
    // 0 means "right after the previous tile", as the tiles are laid out in id order
    writeVarint(out, previous && e.offset === previous.offset + previous.length ? 0 : e.offset + 1)
  })
  return zlib.gzipSync(Buffer.from(out))
}

const HEADER_BYTES = 127

/** The 127-byte PMTiles v3 header. */
function header(h: {
  rootLength: number
  metadataLength: number
  tileDataLength: number
  tiles: number
  center: Position
}): Buffer {
  const b = Buffer.alloc(HEADER_BYTES)
  b.write('PMTiles', 0, 'ascii')
  b.writeUInt8(3, 7)
  const rootOffset = HEADER_BYTES
  const metadataOffset = rootOffset + h.rootLength
  const tileDataOffset = metadataOffset + h.metadataLength
  const u64 = (v: number, at: number) => b.writeBigUInt64LE(BigInt(v), at)
  u64(rootOffset, 8)
  u64(h.rootLength, 16)
  u64(metadataOffset, 24)
  u64(h.metadataLength, 32)
  u64(tileDataOffset, 40) // no leaf directories
  u64(0, 48)
  u64(tileDataOffset, 56)
  u64(h.tileDataLength, 64)
  u64(h.tiles, 72) // addressed tiles
  u64(h.tiles, 80) // tile entries
  u64(h.tiles, 88) // tile contents
  b.writeUInt8(1, 96) // clustered: tiles in id order
  b.writeUInt8(Compression.Gzip, 97) // directories and metadata
  b.writeUInt8(Compression.Gzip, 98) // tiles
  b.writeUInt8(TileType.Mvt, 99)
  b.writeUInt8(MIN_ZOOM, 100)
  b.writeUInt8(MAX_ZOOM, 101)
  const e7 = (v: number) => Math.round(v * 1e7)
  b.writeInt32LE(e7(BBOX.west), 102)
  b.writeInt32LE(e7(BBOX.south), 106)
  b.writeInt32LE(e7(BBOX.east), 110)
  b.writeInt32LE(e7(BBOX.north), 114)
  b.writeUInt8(14, 118)
  b.writeInt32LE(e7(h.center[0]), 119)
  b.writeInt32LE(e7(h.center[1]), 123)
  return b
}

/** The tiles GDAL wrote, as z, x, y and their file (it writes a metadata.json beside them). */
function* tileFiles(dir: string) {
  for (const z of fs.readdirSync(dir).filter((d) => /^\d+$/.test(d)))
    for (const x of fs.readdirSync(path.join(dir, z)))
      for (const file of fs.readdirSync(path.join(dir, z, x)))
        yield {
          z: +z,
          x: +x,
          y: Number(path.basename(file, '.pbf')),
          file: path.join(dir, z, x, file),
        }
}

function pmtiles(dir: string): Buffer {
  const tiles: { tileId: number; data: Buffer }[] = []
  for (const { z, x, y, file } of tileFiles(dir)) {
    const raw = fs.readFileSync(file)
    tiles.push({ tileId: zxyToTileId(z, x, y), data: zlib.gzipSync(raw, { level: 9 }) })
  }
  tiles.sort((a, b) => a.tileId - b.tileId)
  const entries: Entry[] = []
  let offset = 0
  for (const t of tiles) {
    entries.push({ tileId: t.tileId, offset, length: t.data.length })
    offset += t.data.length
  }
  const root = directory(entries)
  if (HEADER_BYTES + root.length > 16_384) throw new Error('too many tiles for a root directory')
  const metadata = zlib.gzipSync(
    JSON.stringify({
      name: 'Changsha test grid',
      description: 'Made-up streets for tests, not real OpenStreetMap data',
      attribution: 'Yizhan test data',
      vector_layers: Object.keys(layers()).map((id) => ({
        id,
        minzoom: MIN_ZOOM,
        maxzoom: MAX_ZOOM,
        fields: {},
      })),
    }),
  )
  const center: Position = [(BBOX.west + BBOX.east) / 2, (BBOX.south + BBOX.north) / 2]
  return Buffer.concat([
    header({
      rootLength: root.length,
      metadataLength: metadata.length,
      tileDataLength: offset,
      tiles: tiles.length,
      center,
    }),
    root,
    metadata,
    ...tiles.map((t) => t.data),
  ])
}

/** Reads the archive back with the pmtiles library: every tile it wrote must come out. */
async function verify(file: Buffer, dir: string) {
  const source: Source = {
    getKey: () => OUT,
    getBytes: async (offset, length) => ({
      data: Uint8Array.prototype.slice.call(file, offset, offset + length).buffer,
    }),
  }
  const archive = new PMTiles(source)
  const h = await archive.getHeader()
  let checked = 0
  for (const { z, x, y, file: f } of tileFiles(dir)) {
    const tile = await archive.getZxy(z, x, y)
    if (!tile || !Buffer.from(tile.data).equals(fs.readFileSync(f)))
      throw new Error(`tile ${z}/${x}/${y} does not read back`)
    checked++
  }
  return { zooms: `${h.minZoom}-${h.maxZoom}`, tiles: checked }
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'test-basemap-'))
try {
  const dir = cutTiles(work)
  const archive = pmtiles(dir)
  const read = await verify(archive, dir)
  fs.mkdirSync(path.dirname(OUT), { recursive: true })
  fs.writeFileSync(OUT, archive)
  console.log(`${OUT}: ${archive.length} bytes, ${read.tiles} tiles, zoom ${read.zooms}`)
} finally {
  fs.rmSync(work, { recursive: true, force: true })
}
