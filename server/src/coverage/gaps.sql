-- Every cell holding demand, with how much of it is covered (exactly, per point), the active
-- stations within reach of its centre, and the names of its centre (nearest.sql, KNN on
-- geography); then ORDER BY c.i, c.j.
cells AS (
  SELECT i, j,
         sum(weight) AS demand,
         coalesce(sum(weight) FILTER (WHERE existing >= :m::int), 0) AS covered_demand,
         count(*) FILTER (WHERE source = 'station_request')::int AS requests,
         ST_SetSRID(ST_Hexagon(:cell::float8, i, j), :srid::int) AS hexagon
  FROM celled
  GROUP BY i, j
)
SELECT c.i, c.j, c.demand, c.covered_demand, c.requests, pt.stations_within_reach,
       near.id AS nearest_station_id, near.code AS nearest_station_code,
       near.name AS nearest_station_name, near.address AS nearest_station_address,
       near.distance_m AS nearest_distance_m, place.district, place.city,
       ST_AsGeoJSON(ST_Transform(c.hexagon, 4326), 6)::json AS geometry
FROM cells c
CROSS JOIN LATERAL (
  SELECT ctr.location, n.stations_within_reach,
         -- only the cells in the answer are named: all, or the gaps
         :all::boolean OR n.stations_within_reach < :m::int AS named
  FROM (SELECT ST_Transform(ST_Centroid(c.hexagon), 4326)::geography AS location) ctr
  CROSS JOIN LATERAL (
    SELECT count(*)::int AS stations_within_reach FROM stations s
    WHERE s.state = 'active' AND ST_DWithin(s.location, ctr.location, :reach::float8, false)
  ) n
) pt
