-- B3's SQL baseline: what a PostGIS tile server (Martin, a function source) would run for the
-- API's station tiles. The same stations and clustering as server/src/tiles/stations-tile.sql,
-- the same feature properties (the derived status in SQL, with the schedules open now passed
-- in as the server works them out), encoded by ST_AsMVT in the database instead of vt-pbf.
-- Parameters as pgbench variables: z x y margin grid open_hours open_zones stale_before.
WITH bounds AS (
  SELECT ST_TileEnvelope(:z::int, :x::int, :y::int) AS env,
         ST_Transform(ST_TileEnvelope(:z::int, :x::int, :y::int, margin => :margin::float8), 4326) AS env4326
),
located AS (
  SELECT s.id, s.code, s.name, s.state, s.capacity, s.charging_points, s.opening_hours, s.timezone,
         s.amenities, p,
         floor((ST_X(p) - ST_XMin(b.env)) / (ST_XMax(b.env) - ST_XMin(b.env)) * 4096)::int AS px,
         floor((ST_YMax(b.env) - ST_Y(p)) / (ST_YMax(b.env) - ST_YMin(b.env)) * 4096)::int AS py
  FROM bounds b
  JOIN stations s ON s.location::geometry && b.env4326
  CROSS JOIN LATERAL ST_Transform(s.location::geometry, 3857) AS p
  WHERE s.state <> 'retired'
),
cells AS (
  SELECT DISTINCT ON (gx, gy) *, count(*) OVER (PARTITION BY gx, gy) AS point_count
  FROM located
  CROSS JOIN LATERAL (SELECT floor(px::float8 / :grid::int) AS gx, floor(py::float8 / :grid::int) AS gy) g
  ORDER BY gx, gy, id
),
features AS (
  SELECT c.id AS fid,
         ST_AsMVTGeom(c.p, b.env, 4096, 64, true) AS geom,
         c.id, c.code, c.name,
         CASE WHEN c.state <> 'active' THEN 'temporarily_closed'
              WHEN NOT d.open_now THEN 'closed'
              WHEN d.stale THEN 'unknown'
              WHEN coalesce(st.occupancy, 0) >= c.capacity THEN 'full'
              ELSE 'open' END AS availability,
         d.stale, d.open_now, c.capacity,
         coalesce(st.occupancy, 0) AS occupancy,
         greatest(c.capacity - coalesce(st.occupancy, 0), 0) AS available_spaces,
         c.charging_points,
         coalesce(st.charging_points_in_use, 0) AS charging_points_in_use,
         array_to_string(c.amenities, ',') AS amenities,
         coalesce((SELECT string_agg(ss.item, ',') FROM station_supplies ss
                   WHERE ss.station_id = c.id AND ss.level < ss.low_threshold), '') AS low_supplies,
         coalesce(st.version, 0) AS version,
         c.point_count::int AS point_count
  FROM cells c
  CROSS JOIN bounds b
  LEFT JOIN station_status st ON st.station_id = c.id
  CROSS JOIN LATERAL (
    SELECT c.state = 'active'
             AND (c.opening_hours, c.timezone) IN
                 (SELECT * FROM unnest(:open_hours::text[], :open_zones::text[])) AS open_now,
           st.reported_at IS NULL OR st.reported_at < :stale_before::timestamptz AS stale
  ) d
)
SELECT ST_AsMVT(features, 'stations', 4096, 'geom', 'fid') AS tile FROM features;
