-- Coverage of all demand by city. Demand has no city of its own: each demand point and station
-- request belongs to the city of the station nearest to it (any state, so closing a station
-- moves no demand between cities). Covered means min_stations active stations within reach.
WITH demand AS (
  SELECT dp.weight::float8 AS weight, dp.location FROM demand_points dp
  WHERE dp.dataset = :dataset
  UNION ALL
  SELECT 1, sr.location FROM station_requests sr
),
assigned AS (
  SELECT d.weight, home.city,
         (SELECT count(*) FROM (
            SELECT FROM stations s
            WHERE s.state = 'active'
              AND ST_DWithin(s.location, d.location, :reach::float8, false)
            LIMIT :m::int) n) >= :m::int AS covered
  FROM demand d
  LEFT JOIN LATERAL (
    SELECT s.city FROM stations s
    WHERE s.city <> ''
    ORDER BY s.location <-> d.location
    LIMIT 1
  ) home ON true
),
by_city AS (
  SELECT city, sum(weight) AS total_demand,
         coalesce(sum(weight) FILTER (WHERE covered), 0) AS covered_demand
  FROM assigned
  GROUP BY city
),
stations_by_city AS (
  SELECT city, count(*) FILTER (WHERE state = 'active')::int AS active_stations
  FROM stations
  WHERE city <> ''
  GROUP BY city
)
SELECT coalesce(b.city, s.city) AS city,
       coalesce(s.active_stations, 0) AS active_stations,
       coalesce(b.total_demand, 0) AS total_demand,
       coalesce(b.covered_demand, 0) AS covered_demand
FROM by_city b
FULL JOIN stations_by_city s ON s.city = b.city
ORDER BY total_demand DESC, city
