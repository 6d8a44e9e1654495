import { Router, type Request, type Response } from 'express'
import type { Knex } from 'knex'
import { z } from 'zod'
import { badRequest, forbidden, notFound, parse, unauthorized } from '../errors.ts'
import { authenticate } from '../auth/middleware.ts'
import type { Config } from '../config.ts'
import type { StatusRules } from '../stations/status.ts'
import type { Bbox } from '../../../contract/bbox.ts'
import {
  COLLECTIONS,
  type CollectionDef,
  type ItemFeature,
  type ReadContext,
} from './collections.ts'
import { ogcDocument, itemsQuery } from './document.ts'
import { toWgs84Bbox } from './queries.ts'
import type { CoverageAnswers } from '../coverage/answers.ts'
import { CRS, formatParams, featureParams, type Crs, type Link } from './schema.ts'
import { a, asHtml, escape, linkList, page, paragraph, table } from './html.ts'

export const CONFORMANCE = [
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30',
  'http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs',
]

const GEOJSON = 'application/geo+json'
const OAS30 = 'application/vnd.oai.openapi+json;version=3.0'
const SCHEMA = 'application/schema+json'

/** json or html: `f` when given, else what the client's Accept prefers (browsers get html). */
function formatOf(req: Request, f: 'json' | 'html' | undefined) {
  if (f) return f
  return req.accepts(['application/json', GEOJSON, 'text/html']) === 'text/html' ? 'html' : 'json'
}

/** The absolute URL of a path under /ogc, with a query, as the client reached us. */
const urlOf = (req: Request, path: string, query: Record<string, string> = {}) => {
  const url = new URL(`${req.protocol}://${req.get('host')}/ogc${path}`)
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v)
  return url.href
}

/** This request's own URL with some parameters changed. */
function selfWith(req: Request, changes: Record<string, string>) {
  const url = new URL(`${req.protocol}://${req.get('host')}${req.originalUrl}`)
  for (const [k, v] of Object.entries(changes)) url.searchParams.set(k, v)
  return url.href
}

const selfLinks = (req: Request, type: string): Link[] => [
  { href: selfWith(req, { f: 'json' }), rel: 'self', type, title: 'This document' },
  { href: selfWith(req, { f: 'html' }), rel: 'alternate', type: 'text/html', title: 'As HTML' },
]

/** Parses a resource's query strictly: an unknown parameter is a 400, as OGC asks. */
function parseQuery<S extends z.ZodObject>(schema: S, req: Request): z.output<S> {
  return parse(schema.strict(), req.query, 'query') as z.output<S>
}

export function ogcRoutes(
  knex: Knex,
  config: Config,
  rules: () => StatusRules,
  coverage: CoverageAnswers,
) {
  const router = Router()
  const ctx: ReadContext = {
    knex,
    rules,
    analysisTimeoutMs: config.COVERAGE_STATEMENT_TIMEOUT_MS,
    coverage,
  }
  const document = ogcDocument()
  router.use(authenticate(knex))
  router.use((_req, res, next) => {
    // the same URL answers JSON or HTML by Accept, and some collections by who asks
    res.vary('Accept')
    next()
  })

  const mayRead = (req: Request, c: CollectionDef) =>
    !c.scope || Boolean(req.user?.scopes.includes(c.scope))

  function collectionFor(req: Request, response: Response): CollectionDef {
    const c = COLLECTIONS.find((x) => x.id === req.params.collectionId)
    if (!c) throw notFound(`There is no collection ${req.params.collectionId}`)
    if (c.scope) {
      response.vary('Authorization').vary('Cookie')
      if (!req.user) throw unauthorized(`${c.id} needs signing in with the ${c.scope} scope`)
      if (!mayRead(req, c)) throw forbidden(`${c.id} needs the ${c.scope} scope`)
    }
    return c
  }

  /** Public answers may be cached anywhere; a collection behind sign-in only by the client. */
  function cacheFor(response: Response, c: CollectionDef | undefined, seconds: number) {
    response.setHeader('Cache-Control', `${c?.scope ? 'private' : 'public'}, max-age=${seconds}`)
  }

  router.get('/', (req, response) => {
    const { f } = parseQuery(formatParams, req)
    const links: Link[] = [
      ...selfLinks(req, 'application/json'),
      { href: urlOf(req, '/api'), rel: 'service-desc', type: OAS30, title: 'The API definition' },
      {
        href: urlOf(req, '/api', { f: 'html' }),
        rel: 'service-doc',
        type: 'text/html',
        title: 'The API definition, for people',
      },
      {
        href: urlOf(req, '/conformance'),
        rel: 'conformance',
        type: 'application/json',
        title: 'Conformance classes',
      },
      {
        href: urlOf(req, '/collections'),
        rel: 'data',
        type: 'application/json',
        title: 'Collections',
      },
    ]
    const body = {
      title: '驿站 Yizhan',
      description:
        'Rest stations that trade unions run for outdoor workers, with their live status, as ' +
        'OGC API – Features.',
      links,
    }
    response.setHeader('Cache-Control', 'public, max-age=300')
    if (formatOf(req, f) === 'html')
      return response
        .type('html')
        .send(page(body.title, paragraph(body.description) + linkList(links.map(toHtmlLink))))
    response.json(body)
  })

  router.get('/api', (req, response) => {
    const { f } = parseQuery(formatParams, req)
    response.setHeader('Cache-Control', 'public, max-age=300')
    if (formatOf(req, f) === 'html') {
      const rows = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
        Object.entries(item as Record<string, { summary?: string }>).map(([method, op]) => [
          method.toUpperCase(),
          path,
          op.summary ?? '',
        ]),
      )
      return response
        .type('html')
        .send(
          page(
            'API 定义',
            paragraph(document.info.description ?? '') +
              `<p>${a(urlOf(req, '/api', { f: 'json' }), 'OpenAPI 3.0 (JSON)')}</p>` +
              table(['方法', '路径', '说明'], rows),
            [[urlOf(req, '/', { f: 'html' }), '首页']],
          ),
        )
    }
    response.type(OAS30).send(JSON.stringify(document))
  })

  router.get('/conformance', (req, response) => {
    const { f } = parseQuery(formatParams, req)
    response.setHeader('Cache-Control', 'public, max-age=300')
    if (formatOf(req, f) === 'html')
      return response
        .type('html')
        .send(
          page(
            '一致性 Conformance',
            `<ul>${CONFORMANCE.map((c) => `<li>${a(c, c)}</li>`).join('')}</ul>`,
            [[urlOf(req, '/', { f: 'html' }), '首页']],
          ),
        )
    response.json({ conformsTo: CONFORMANCE })
  })

  async function describe(req: Request, c: CollectionDef) {
    const extent = await c.extent(ctx)
    const items = urlOf(req, `/collections/${c.id}/items`)
    return {
      id: c.id,
      title: c.title,
      description: c.description,
      itemType: 'feature' as const,
      extent: {
        spatial: { bbox: extent.bbox ? [extent.bbox] : [], crs: CRS.CRS84.uri },
        ...(c.temporal
          ? {
              temporal: {
                interval: [extent.interval ?? [null, null]],
                trs: 'http://www.opengis.net/def/uom/ISO-8601/0/Gregorian',
              },
            }
          : {}),
      },
      crs: c.crs.map((id) => CRS[id].uri),
      storageCrs: CRS.CRS84.uri,
      links: [
        {
          href: urlOf(req, `/collections/${c.id}`),
          rel: 'self',
          type: 'application/json',
          title: c.title,
        },
        { href: items, rel: 'items', type: GEOJSON, title: 'Features (GeoJSON)' },
        {
          href: urlOf(req, `/collections/${c.id}/items`, { f: 'html' }),
          rel: 'items',
          type: 'text/html',
          title: 'Features (HTML)',
        },
        {
          href: urlOf(req, `/collections/${c.id}/schema`),
          rel: 'describedby',
          type: SCHEMA,
          title: 'The features’ properties',
        },
        {
          href: urlOf(req, `/collections/${c.id}/queryables`),
          rel: 'http://www.opengis.net/def/rel/ogc/1.0/queryables',
          type: SCHEMA,
          title: 'The properties items may be filtered by',
        },
      ],
    }
  }

  router.get('/collections', async (req, response) => {
    const { f } = parseQuery(formatParams, req)
    response.vary('Authorization').vary('Cookie')
    const visible = COLLECTIONS.filter((c) => mayRead(req, c))
    const list = await Promise.all(visible.map((c) => describe(req, c)))
    const body = { links: selfLinks(req, 'application/json'), collections: list }
    response.setHeader(
      'Cache-Control',
      `${visible.some((c) => c.scope) ? 'private' : 'public'}, max-age=60`,
    )
    if (formatOf(req, f) === 'html')
      return response.type('html').send(
        page(
          '集合 Collections',
          table(
            ['id', '名称', '说明', '要素'],
            list.map((c) => [
              a(urlOf(req, `/collections/${c.id}`, { f: 'html' }), c.id),
              escape(c.title),
              escape(c.description),
              a(urlOf(req, `/collections/${c.id}/items`, { f: 'html' }), '浏览'),
            ]),
            true,
          ),
          [[urlOf(req, '/', { f: 'html' }), '首页']],
        ),
      )
    response.json(body)
  })

  router.get('/collections/:collectionId', async (req, response) => {
    const { f } = parseQuery(formatParams, req)
    const c = collectionFor(req, response)
    const body = await describe(req, c)
    cacheFor(response, c, 60)
    if (formatOf(req, f) === 'html') {
      const bbox = body.extent.spatial.bbox[0]
      return response.type('html').send(
        page(
          c.title,
          paragraph(c.description) +
            (bbox ? paragraph(`范围 (CRS84): ${bbox.map((v) => v.toFixed(5)).join(', ')}`) : '') +
            paragraph(`坐标参照系: ${body.crs.join(' · ')}`) +
            linkList(body.links.map(toHtmlLink)),
          [
            [urlOf(req, '/', { f: 'html' }), '首页'],
            [urlOf(req, '/collections', { f: 'html' }), '集合'],
          ],
        ),
      )
    }
    response.json(body)
  })

  /** JSON Schema of the properties, which clients such as GDAL type their fields by. */
  function propertiesSchema(req: Request, c: CollectionDef, keys?: string[]) {
    // a new object of the same fields: the row's registered id would turn it into a $ref
    const shape = c.properties.shape
    const fields = keys ? Object.fromEntries(keys.map((k) => [k, shape[k]!])) : shape
    const schema = z.toJSONSchema(z.object(fields), {
      target: 'draft-2020-12',
      unrepresentable: 'any',
    }) as Record<string, unknown>
    const { $schema, ...rest } = schema
    return {
      $schema,
      $id: urlOf(req, `/collections/${c.id}/${keys ? 'queryables' : 'schema'}`),
      title: c.title,
      ...rest,
      additionalProperties: !keys,
    }
  }

  router.get('/collections/:collectionId/schema', (req, response) => {
    parseQuery(formatParams, req)
    const c = collectionFor(req, response)
    cacheFor(response, c, 300)
    response.type(SCHEMA).send(JSON.stringify(propertiesSchema(req, c)))
  })

  router.get('/collections/:collectionId/queryables', (req, response) => {
    parseQuery(formatParams, req)
    const c = collectionFor(req, response)
    cacheFor(response, c, 300)
    const keys = Object.keys(c.filters.shape).filter((k) => k in c.properties.shape)
    response.type(SCHEMA).send(JSON.stringify(propertiesSchema(req, c, keys)))
  })

  /** The common parameters resolved: the answer's CRS and the box in WGS-84. */
  async function readOf(c: CollectionDef, q: Record<string, unknown>) {
    const crs = (q.crs as Crs | undefined) ?? CRS.CRS84
    const bboxCrs = (q['bbox-crs'] as Crs | undefined) ?? CRS.CRS84
    for (const [name, value] of [
      ['crs', crs],
      ['bbox-crs', bboxCrs],
    ] as const)
      if (!c.crs.some((id) => CRS[id] === value))
        throw badRequest(`${name}: ${c.id} offers ${c.crs.map((id) => CRS[id].uri).join(', ')}`)
    let bbox: Bbox | undefined
    const given = q.bbox as readonly [number, number, number, number] | undefined
    if (given) {
      const [x1, y1, x2, y2] = bboxCrs.latFirst ? [given[1], given[0], given[3], given[2]] : given
      bbox =
        bboxCrs.srid === 4326
          ? [x1, y1, x2, y2]
          : await toWgs84Bbox(knex, [x1, y1, x2, y2], bboxCrs.srid)
      const [w, s, e, n] = bbox
      if (w < -180 || e > 180 || s < -90 || n > 90)
        throw badRequest('bbox: outside the range of longitude and latitude (axis order?)')
    }
    return { crs, bbox }
  }

  router.get('/collections/:collectionId/items', async (req, response) => {
    const c = collectionFor(req, response)
    const common = parseQuery(itemsQuery(c), req) as Record<string, unknown> & {
      f?: 'json' | 'html'
      limit: number
      offset: number
      datetime?: { from?: Date; to?: Date }
    }
    const { crs, bbox } = await readOf(c, common)
    const { features, matched } = await c.items(ctx, {
      bbox,
      datetime: common.datetime,
      limit: common.limit,
      offset: common.offset,
      crs,
      extra: ownParams(req, c),
      userId: req.user?.id,
    })
    const links: Link[] = [
      ...selfLinks(req, GEOJSON),
      {
        href: urlOf(req, `/collections/${c.id}`),
        rel: 'collection',
        type: 'application/json',
        title: c.title,
      },
    ]
    if (common.offset + features.length < matched)
      links.push({
        href: selfWith(req, { offset: String(common.offset + common.limit) }),
        rel: 'next',
        type: GEOJSON,
        title: 'Next page',
      })
    if (common.offset > 0)
      links.push({
        href: selfWith(req, { offset: String(Math.max(common.offset - common.limit, 0)) }),
        rel: 'prev',
        type: GEOJSON,
        title: 'Previous page',
      })
    cacheFor(response, c, 15)
    response.setHeader('Content-Crs', `<${crs.uri}>`)
    if (formatOf(req, common.f) === 'html')
      return response.type('html').send(itemsPage(req, c, features, matched, common.offset, links))
    // No timeStamp (it is optional): the same page would never be the same answer, and a
    // conditional request never a 304; the features carry their reported_at.
    response.type(GEOJSON).send(
      JSON.stringify({
        type: 'FeatureCollection',
        features: features.map((f) => toFeature(req, c, f)),
        numberMatched: matched,
        numberReturned: features.length,
        links,
      }),
    )
  })

  router.get('/collections/:collectionId/items/:featureId', async (req, response) => {
    const c = collectionFor(req, response)
    // a gap cell exists only within its analysis: its bbox and settings come along
    const schema = c.id === 'coverage_gaps' ? itemsQuery(c) : featureParams
    const common = parseQuery(schema, req) as Record<string, unknown> & { f?: 'json' | 'html' }
    const { crs, bbox } = await readOf(c, common)
    const found = await c.item(ctx, String(req.params.featureId), {
      bbox,
      limit: 1,
      offset: 0,
      crs,
      extra: ownParams(req, c),
      userId: req.user?.id,
    })
    if (!found) throw notFound(`${c.id} has no feature ${req.params.featureId}`)
    cacheFor(response, c, 15)
    response.setHeader('Content-Crs', `<${crs.uri}>`)
    const body = toFeature(req, c, found)
    if (formatOf(req, common.f) === 'html')
      return response
        .type('html')
        .send(
          page(
            typeof found.properties.name === 'string'
              ? `${found.properties.name} (${found.id})`
              : `${c.id} ${found.id}`,
            table(
              ['属性', '值'],
              [
                ['geometry', JSON.stringify(found.geometry.coordinates)],
                ...Object.entries(found.properties),
              ],
            ) + linkList(body.links.map(toHtmlLink)),
            crumbs(req, c),
          ),
        )
    response.type(GEOJSON).send(JSON.stringify(body))
  })

  function toFeature(req: Request, c: CollectionDef, f: ItemFeature) {
    const self = urlOf(req, `/collections/${c.id}/items/${encodeURIComponent(String(f.id))}`)
    const query = c.id === 'coverage_gaps' ? new URL(selfWith(req, {})).search : ''
    return {
      type: 'Feature' as const,
      id: f.id,
      geometry: f.geometry,
      properties: f.properties,
      links: [
        { href: self + query, rel: 'self', type: GEOJSON, title: `Feature ${f.id}` },
        {
          href: urlOf(req, `/collections/${c.id}`),
          rel: 'collection',
          type: 'application/json',
          title: c.title,
        },
      ],
    }
  }

  function itemsPage(
    req: Request,
    c: CollectionDef,
    features: ItemFeature[],
    matched: number,
    offset: number,
    links: Link[],
  ) {
    const keys = Object.keys(c.properties.shape)
    const rows = features.map((f) => [
      a(selfFeatureHtml(req, c, f), f.id),
      ...keys.map((k) => escape(f.properties[k])),
    ])
    const shown = features.length ? `${offset + 1}–${offset + features.length}` : '0'
    return page(
      `${c.title}`,
      paragraph(`共 ${matched} 个要素，显示第 ${shown} 个。`) +
        linkList(links.filter((l) => l.rel !== 'self').map(toHtmlLink)) +
        table(['id', ...keys], rows, true),
      crumbs(req, c),
    )
  }

  const selfFeatureHtml = (req: Request, c: CollectionDef, f: ItemFeature) =>
    asHtml(urlOf(req, `/collections/${c.id}/items/${encodeURIComponent(String(f.id))}`))

  const crumbs = (req: Request, c: CollectionDef): [string, string][] => [
    [urlOf(req, '/', { f: 'html' }), '首页'],
    [urlOf(req, '/collections', { f: 'html' }), '集合'],
    [urlOf(req, `/collections/${c.id}`, { f: 'html' }), c.id],
  ]

  return router
}

/** The collection's own parameters as sent (strings), for it to parse with its own rules. */
function ownParams(req: Request, c: CollectionDef) {
  return Object.fromEntries(
    Object.keys(c.filters.shape).flatMap((k) => (k in req.query ? [[k, req.query[k]]] : [])),
  )
}

/** A link for a person: JSON links become their HTML alternates where there is one. */
const toHtmlLink = (l: Link): Link =>
  l.type === 'application/json' || l.type === GEOJSON ? { ...l, href: asHtml(l.href) } : l
