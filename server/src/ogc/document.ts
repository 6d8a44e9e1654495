import { z } from 'zod'
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'
import { buildOpenApiDocument, problemResponses } from '../openapi.ts'
import { COLLECTIONS, type CollectionDef } from './collections.ts'
import {
  collection,
  collections,
  conformance,
  feature,
  featureCollection,
  featureIdParam,
  featureParams,
  formatParams,
  itemsParams,
  landingPage,
  timedItemsParams,
} from './schema.ts'

const json = (schema: z.ZodType, type = 'application/json') => ({
  content: { [type]: { schema }, 'text/html': { schema: z.string() } },
})

const collectionIdParam = z.object({
  collectionId: z.enum(COLLECTIONS.map((c) => c.id) as [string, ...string[]]),
})

/** Authorization for a collection that needs a scope: 401 and 403 besides its own answers. */
const guarded = (c: CollectionDef) => (c.scope ? problemResponses(401, 403) : {})

export const itemsQuery = (c: CollectionDef) =>
  (c.temporal ? timedItemsParams : itemsParams).extend(c.filters.shape)

// Paths are relative to the server, /ogc: clients such as GDAL look them up as the standard
// names them.
function registerOgc(registry: OpenAPIRegistry) {
  registry.registerPath({
    method: 'get',
    path: '/',
    summary: 'Landing page',
    description: 'Links to the API definition, the conformance classes and the collections.',
    request: { query: formatParams },
    responses: { 200: { description: 'The landing page', ...json(landingPage) } },
  })
  registry.registerPath({
    method: 'get',
    path: '/conformance',
    summary: 'Conformance classes',
    description: 'The OGC API – Features conformance classes this API implements.',
    request: { query: formatParams },
    responses: { 200: { description: 'The conformance classes', ...json(conformance) } },
  })
  registry.registerPath({
    method: 'get',
    path: '/collections',
    summary: 'Feature collections',
    description:
      'The collections the caller may read: stations for everyone; station requests and ' +
      'coverage gaps with the plan scope.',
    request: { query: formatParams },
    responses: { 200: { description: 'The collections', ...json(collections) } },
  })
  registry.registerPath({
    method: 'get',
    path: '/collections/{collectionId}',
    summary: 'One feature collection',
    description: 'Its extent, coordinate reference systems and links.',
    request: { params: collectionIdParam, query: formatParams },
    responses: {
      200: { description: 'The collection', ...json(collection) },
      ...problemResponses(401, 403, 404),
    },
  })
  for (const c of COLLECTIONS) {
    registry.registerPath({
      method: 'get',
      path: `/collections/${c.id}/items`,
      summary: `${c.title}: features`,
      description:
        `${c.description} Paged by limit and offset (next and prev links).` +
        (c.temporal ? ` datetime compares with ${c.temporal}.` : ''),
      request: { query: itemsQuery(c) },
      responses: {
        200: {
          description: 'A page of features',
          headers: { 'Content-Crs': { schema: { type: 'string' } } },
          ...json(featureCollection, 'application/geo+json'),
        },
        ...guarded(c),
      },
    })
    registry.registerPath({
      method: 'get',
      path: `/collections/${c.id}/items/{featureId}`,
      summary: `${c.title}: one feature`,
      description: `One feature of ${c.id} by its id.`,
      request: {
        params: featureIdParam,
        query: c.id === 'coverage_gaps' ? itemsQuery(c) : featureParams,
      },
      responses: {
        200: { description: 'The feature', ...json(feature, 'application/geo+json') },
        ...guarded(c),
        ...problemResponses(404),
      },
    })
  }
}

/** The OpenAPI 3.0 document of the OGC API, as its conformance class asks. */
export function ogcDocument() {
  return buildOpenApiDocument([registerOgc], {
    openapi: '3.0.3',
    server: '/ogc',
    info: {
      title: 'Yizhan (驿站) OGC API – Features',
      version: '1.0.0',
      description:
        'The rest stations, station requests and coverage gaps for GIS tools (QGIS, ArcGIS, ' +
        'GDAL): OGC API – Features Part 1 (Core, GeoJSON, HTML, OpenAPI 3.0) and Part 2 (CRS).',
    },
  })
}
