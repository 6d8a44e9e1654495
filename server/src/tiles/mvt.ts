import { PbfWriter } from 'pbf'

export type TileValue = string | number | boolean

/** A point feature: its id, its position in tile units, and a value for each of the layer's keys. */
export interface PointFeature {
  id: number
  x: number
  y: number
  values: readonly TileValue[]
}

interface Layer {
  name: string
  extent: number
  keys: readonly string[]
  features: PointFeature[]
  /** Each feature's tags: key, value index pairs. */
  tags: number[][]
  values: TileValue[]
}

/**
 * A vector tile (MVT 2.1) of one layer of points, written straight with pbf: the encoding of
 * vt-pbf and ST_AsMVT (values shared, integers as uint/sint, booleans as bool) without their
 * objects per feature. No features, no layer: ST_AsMVT's empty tile.
 */
export function pointsTile(
  name: string,
  extent: number,
  keys: readonly string[],
  features: PointFeature[],
): Buffer {
  if (!features.length) return Buffer.alloc(0)
  const index = new Map<TileValue, number>()
  const values: TileValue[] = []
  const tags = features.map((f) => {
    const pairs = new Array<number>(keys.length * 2)
    f.values.forEach((v, k) => {
      let at = index.get(v)
      if (at === undefined) {
        at = values.push(v) - 1
        index.set(v, at)
      }
      pairs[2 * k] = k
      pairs[2 * k + 1] = at
    })
    return pairs
  })
  const pbf = new PbfWriter()
  pbf.writeMessage(3, writeLayer, { name, extent, keys, features, tags, values })
  const bytes = pbf.finish()
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

function writeLayer(layer: Layer, pbf: PbfWriter) {
  pbf.writeVarintField(15, 2)
  pbf.writeStringField(1, layer.name)
  layer.features.forEach((f, k) => {
    pbf.writeMessage(2, writeFeature, { f, tags: layer.tags[k]! })
  })
  for (const key of layer.keys) pbf.writeStringField(3, key)
  for (const v of layer.values) pbf.writeMessage(4, writeValue, v)
  pbf.writeVarintField(5, layer.extent)
}

const MOVE_TO_ONE = (1 << 3) | 1
const zigzag = (n: number) => (n << 1) ^ (n >> 31)

function writeFeature({ f, tags }: { f: PointFeature; tags: number[] }, pbf: PbfWriter) {
  pbf.writeVarintField(1, f.id)
  pbf.writePackedVarint(2, tags)
  pbf.writeVarintField(3, 1)
  pbf.writePackedVarint(4, [MOVE_TO_ONE, zigzag(f.x), zigzag(f.y)])
}

function writeValue(v: TileValue, pbf: PbfWriter) {
  if (typeof v === 'string') pbf.writeStringField(1, v)
  else if (typeof v === 'boolean') pbf.writeBooleanField(7, v)
  else if (!Number.isInteger(v)) pbf.writeDoubleField(3, v)
  else if (v >= 0) pbf.writeVarintField(5, v)
  else pbf.writeSVarintField(6, v)
}
