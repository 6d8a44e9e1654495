-- What names a place for a person, joined to a row with a geography point `pt.location` and
-- `pt.named` (false: no names wanted, none looked up). We have no road network: the nearest
-- active station, by its code, name and address, stands in for the road. Nor district
-- boundaries: the district and city are those of the nearest station that names a district
-- (any state, as the summary's cities: closing a station renames nothing), if one is within
-- place_m metres; past that a district would be a guess.
LEFT JOIN LATERAL (
  SELECT s.id, s.code, s.name, s.address, ST_Distance(s.location, pt.location, false) AS distance_m
  FROM stations s
  WHERE pt.named AND s.state = 'active'
  ORDER BY s.location <-> pt.location
  LIMIT 1
) near ON true
LEFT JOIN LATERAL (
  SELECT s.district, s.city
  FROM stations s
  WHERE pt.named AND s.district <> '' AND ST_DWithin(s.location, pt.location, :place_m::float8, false)
  ORDER BY s.location <-> pt.location
  LIMIT 1
) place ON true
