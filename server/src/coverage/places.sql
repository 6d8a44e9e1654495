-- The names of a few places (the suggested sites): the joins of nearest.sql follow, then the
-- order given.
SELECT near.id AS nearest_station_id, near.code AS nearest_station_code,
       near.name AS nearest_station_name, near.address AS nearest_station_address,
       near.distance_m AS nearest_distance_m, place.district, place.city
FROM unnest(:lons::float8[], :lats::float8[]) WITH ORDINALITY AS t(lon, lat, ord)
CROSS JOIN LATERAL (
  SELECT ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326)::geography AS location, true AS named
) pt
