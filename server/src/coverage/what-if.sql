-- Coverage of the demand in the bbox before and with the hypothetical sites, which count as
-- active stations. Only demand short of min_stations is checked against the sites (at most 100).
sites AS (
  SELECT ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography AS location
  FROM unnest(:lons::float8[], :lats::float8[]) AS t(lon, lat)
)
SELECT coalesce(sum(weight), 0) AS total_demand,
       coalesce(sum(weight) FILTER (WHERE existing >= :m::int), 0) AS covered_before,
       coalesce(sum(weight) FILTER (WHERE CASE
         WHEN existing >= :m::int THEN true
         ELSE existing + (SELECT count(*) FROM sites
                          WHERE ST_DWithin(sites.location, d.location, :reach::float8, false))
              >= :m::int END), 0) AS covered_after
FROM demand d
