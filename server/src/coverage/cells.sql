-- Each demand's hexagon in the grid ST_HexagonGrid lays over the metric projection (the UTM
-- zone). The grid is anchored at the projection's origin, so the grid over one point yields the
-- cells of the whole-bbox grid whose bounding box holds it; the first that contains it is its
-- cell (a point on an edge touches two). Only cells with demand are ever built.
celled AS MATERIALIZED (
  SELECT DISTINCT ON (d.source, d.id) d.*, h.i, h.j
  FROM demand d
  CROSS JOIN LATERAL ST_Transform(d.location::geometry, :srid::int) AS g
  CROSS JOIN LATERAL ST_HexagonGrid(:cell::float8, g) AS h
  WHERE ST_Intersects(h.geom, g)
  ORDER BY d.source, d.id, h.i, h.j
)
