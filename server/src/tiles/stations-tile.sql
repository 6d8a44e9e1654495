-- After stations-tile-cells.sql: each cell's station with its live status and supplies, for
-- the server to derive the status and encode the tile.
SELECT c.*, st.occupancy, st.charging_points_in_use, st.reported_at, st.version,
       (SELECT jsonb_object_agg(ss.item, jsonb_build_array(ss.level, ss.low_threshold))
          FROM station_supplies ss WHERE ss.station_id = c.id) AS supplies
FROM cells c
LEFT JOIN station_status st ON st.station_id = c.id
