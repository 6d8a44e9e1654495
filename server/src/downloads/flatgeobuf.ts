import { z } from 'zod'
import { ColumnType } from 'flatgeobuf/lib/mjs/flat-geobuf/column-type.js'
import { GeometryType } from 'flatgeobuf/lib/mjs/flat-geobuf/geometry-type.js'
import { buildHeader } from 'flatgeobuf/lib/mjs/generic/featurecollection.js'
import { buildFeature } from 'flatgeobuf/lib/mjs/generic/feature.js'
import { parseGeometry } from 'flatgeobuf/lib/mjs/geojson/geometry.js'
import { magicbytes } from 'flatgeobuf/lib/mjs/constants.js'
import type { HeaderMeta } from 'flatgeobuf/lib/mjs/header-meta.js'

type JsonField = { type?: string; format?: string; anyOf?: JsonField[] }

/** A column's FlatGeobuf type from its JSON Schema (nullable fields are `anyOf […, null]`). */
function columnType(field: JsonField): ColumnType {
  const typed = field.anyOf?.find((f) => f.type !== 'null') ?? field
  if (typed.type === 'integer') return ColumnType.Int
  if (typed.type === 'boolean') return ColumnType.Bool
  if (typed.type === 'number') return ColumnType.Double
  if (typed.format === 'date-time') return ColumnType.DateTime
  return ColumnType.String
}

/**
 * Points and their properties as a FlatGeobuf file, encoded by the flatgeobuf library with
 * the columns typed from the schema: its GeoJSON shortcut would guess them from the first
 * feature (every number a Double, a null a String).
 */
export function pointsToFlatGeobuf(
  schema: z.ZodObject,
  features: { position: readonly [number, number]; properties: Record<string, unknown> }[],
  epsg: number,
): Uint8Array {
  const fields = (
    z.toJSONSchema(z.object(schema.shape)) as { properties: Record<string, JsonField> }
  ).properties
  const header: HeaderMeta = {
    geometryType: GeometryType.Point,
    columns: Object.entries(fields).map(([name, field]) => ({
      name,
      type: columnType(field),
      title: null,
      description: null,
      width: -1,
      precision: -1,
      scale: -1,
      nullable: true,
      unique: false,
      primary_key: false,
    })),
    envelope: null,
    featuresCount: features.length,
    indexNodeSize: 0,
    crs: null,
    title: null,
    description: null,
    metadata: null,
  }
  const parts = [
    Uint8Array.from(magicbytes),
    buildHeader(header, epsg),
    ...features.map((f) =>
      buildFeature(
        parseGeometry({ type: 'Point', coordinates: [...f.position] }),
        f.properties as Record<string, boolean | number | string>,
        header,
      ),
    ),
  ]
  return Buffer.concat(parts)
}
