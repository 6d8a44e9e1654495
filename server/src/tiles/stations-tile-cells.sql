-- The stations inside tile (z, x, y) with their position in tile coordinates (extent 4096,
-- y down) computed by PostGIS; below zoom 12, points in the same grid cell (grid tile units
-- wide) collapse to one feature carrying point_count. Both tile queries start with these
-- CTEs: stations-tile.sql (the server encodes with vt-pbf, as the embedded PostGIS has no
-- ST_AsMVT) and stations-tile-mvt.sql (ST_AsMVT on PostgreSQL).
WITH bounds AS (
  SELECT ST_TileEnvelope(:z::int, :x::int, :y::int) AS env,
         -- The margin is clipped to the world first: past ±180° it would wrap to the other side.
         ST_Transform(ST_ClipByBox2D(ST_TileEnvelope(:z::int, :x::int, :y::int, margin => :margin::float8),
                                     ST_TileEnvelope(0, 0, 0)::box2d), 4326) AS env4326
),
located AS (
  SELECT s.id, s.code, s.name, s.state, s.capacity, s.charging_points, s.opening_hours, s.timezone,
         array_to_string(s.amenities, ',') AS amenities, t.px, t.py
  FROM bounds b
  JOIN stations s ON s.location::geometry && b.env4326
  CROSS JOIN LATERAL ST_Transform(s.location::geometry, 3857) AS p
  CROSS JOIN LATERAL (
    SELECT floor((ST_X(p) - ST_XMin(b.env)) / (ST_XMax(b.env) - ST_XMin(b.env)) * 4096)::int AS px,
           floor((ST_YMax(b.env) - ST_Y(p)) / (ST_YMax(b.env) - ST_YMin(b.env)) * 4096)::int AS py
  ) t
  WHERE s.state <> 'retired'
    -- The margin exactly, in whole tile units: && compares boxes rounded out to float4, which
    -- lets in points up to a metre beyond it. The station index's tiles select the same.
    AND t.px >= -:margin::float8 * 4096 AND t.px < 4096 * (1 + :margin::float8)
    AND t.py >= -:margin::float8 * 4096 AND t.py < 4096 * (1 + :margin::float8)
),
cells AS (
  SELECT DISTINCT ON (gx, gy) *, count(*) OVER (PARTITION BY gx, gy) AS point_count
  FROM located
  CROSS JOIN LATERAL (SELECT floor(px::float8 / :grid) AS gx, floor(py::float8 / :grid) AS gy) g
  ORDER BY gx, gy, id
)
