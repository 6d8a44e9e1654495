-- The demand inside the bbox: demand points at their weight and station requests at weight 1,
-- each with the number of active stations within reach counted up to min_stations, enough to
-- tell whether it is covered. Stations outside the bbox count too. ST_Intersects, not just &&:
-- the index compares float4 boxes, which take in points a few micro-degrees outside.
demand AS MATERIALIZED (
  SELECT d.*,
         (SELECT count(*) FROM (
            SELECT FROM stations s
            WHERE s.state = 'active'
              AND ST_DWithin(s.location, d.location, :reach::float8, false)
            LIMIT :m::int) n)::int AS existing
  FROM (
    SELECT 'demand_point' AS source, dp.id, dp.weight::float8 AS weight, dp.location
    FROM demand_points dp
    WHERE dp.dataset = :dataset AND ST_Intersects(dp.location::geometry,
          ST_MakeEnvelope(:w::float8, :s::float8, :e::float8, :n::float8, 4326))
    UNION ALL
    SELECT 'station_request', sr.id, 1, sr.location
    FROM station_requests sr
    WHERE ST_Intersects(sr.location::geometry,
          ST_MakeEnvelope(:w::float8, :s::float8, :e::float8, :n::float8, 4326))
  ) d
)
