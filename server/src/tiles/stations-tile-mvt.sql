-- After stations-tile-cells.sql: the same tile as stations-tile.sql (same stations, positions,
-- clustering and properties), encoded by PostGIS's ST_AsMVT, which the embedded PostGIS lacks.
-- The derived status is
-- worked out here from the schedules open now (open_hours, open_zones, as the server judges
-- them) and stale_before, as deriveStatus would; low supplies in the order of the jsonb the
-- other query reads them from (by length, then bytes). Beside the tile, what the clock can change
-- in it: the oldest report still fresh, and the schedules of its active stations. The tile
-- comes as base64, which node decodes in a fraction of the time bytea's hex text takes.
,
features AS (
  SELECT ST_MakePoint(c.px, c.py) AS geom,
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
         c.amenities,
         coalesce((SELECT string_agg(ss.item, ',' ORDER BY octet_length(ss.item), ss.item COLLATE "C") FROM station_supplies ss
                   WHERE ss.station_id = c.id AND ss.level < ss.low_threshold), '') AS low_supplies,
         coalesce(st.version, 0) AS version,
         c.point_count::int AS point_count,
         CASE WHEN NOT d.stale THEN st.reported_at END AS fresh_at,
         CASE WHEN c.state = 'active' THEN c.opening_hours || E'\n' || c.timezone END AS schedule
  FROM cells c
  LEFT JOIN station_status st ON st.station_id = c.id
  CROSS JOIN LATERAL (
    SELECT c.state = 'active'
             AND (c.opening_hours, c.timezone) IN
                 (SELECT * FROM unnest(:open_hours::text[], :open_zones::text[])) AS open_now,
           st.reported_at IS NULL OR st.reported_at < :stale_before::timestamptz AS stale
  ) d
)
SELECT (SELECT encode(ST_AsMVT(t, 'stations', 4096, 'geom', 'fid'), 'base64')
          FROM (SELECT geom, id AS fid, id, code, name, availability, stale, open_now, capacity,
                       occupancy, available_spaces, charging_points, charging_points_in_use,
                       amenities, low_supplies, version, point_count
                  FROM features) t) AS tile,
       (SELECT min(fresh_at) FROM features) AS fresh_at,
       (SELECT array_agg(DISTINCT schedule) FROM features WHERE schedule IS NOT NULL) AS schedules
