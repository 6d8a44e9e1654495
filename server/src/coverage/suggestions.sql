-- What the greedy needs, in one row: the demand short of min_stations, with how many more it
-- needs, and the candidate sites (station requests in the bbox, then the centres of cells
-- holding such demand) with the ids of all demand within reach of each. The server matches
-- those ids to the uncovered demand: joining here would scan it once per candidate.
uncovered AS MATERIALIZED (
  SELECT source, id, weight, :m::int - existing AS need, i, j
  FROM celled
  WHERE existing < :m::int
),
candidates AS (
  SELECT sr.id AS request_id, NULL::int AS i, NULL::int AS j, sr.location
  FROM station_requests sr
  WHERE ST_Intersects(sr.location::geometry,
        ST_MakeEnvelope(:w::float8, :s::float8, :e::float8, :n::float8, 4326))
  UNION ALL
  SELECT NULL, i, j, ST_Transform(ST_Centroid(
           ST_SetSRID(ST_Hexagon(:cell::float8, i, j), :srid::int)), 4326)::geography
  FROM (SELECT DISTINCT i, j FROM uncovered) cells
)
SELECT (SELECT coalesce(sum(weight), 0) FROM demand) AS total_demand,
       (SELECT coalesce(sum(weight), 0) FROM demand WHERE existing >= :m::int) AS covered_demand,
       (SELECT coalesce(json_agg(json_build_array(source, id, weight, need)), '[]')
        FROM uncovered) AS uncovered,
       (SELECT coalesce(json_agg(json_build_array(
                 ST_X(c.location::geometry), ST_Y(c.location::geometry), c.request_id,
                 ARRAY(SELECT dp.id FROM demand_points dp
                       WHERE dp.dataset = :dataset
                         AND ST_DWithin(dp.location, c.location, :reach::float8, false)),
                 ARRAY(SELECT sr.id FROM station_requests sr
                       WHERE ST_DWithin(sr.location, c.location, :reach::float8, false)))
               ORDER BY c.request_id IS NULL, c.request_id, c.i, c.j), '[]')
        FROM candidates c) AS candidates
