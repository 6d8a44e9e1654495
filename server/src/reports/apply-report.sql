-- Writes one accepted report in a single statement, so a report holds its connection for one
-- round trip: the live status, the supplies it gave, the history row, and the low-stock alerts
-- (closed when restocked to the threshold, opened on a fall below it while none is open).
-- The CTEs share one snapshot, taken after the status row was locked: later ones see the
-- supplies' new levels through RETURNING, and supplies_before is what the previous report left.
-- The report time is later than every earlier report of the station (submitReport sees to it),
-- so an alert closes after it opened.
WITH status AS (
  UPDATE station_status
     SET occupancy = :occupancy, charging_points_in_use = :charging, reported_at = :at,
         reported_by = :user_id, version = :version
   WHERE station_id = :station_id
), supplies AS (
  INSERT INTO station_supplies (station_id, item, level, updated_at)
  SELECT :station_id, e.key, e.value::int, :at FROM jsonb_each_text(:supplies::jsonb) AS e
  ON CONFLICT (station_id, item) DO UPDATE SET level = excluded.level, updated_at = excluded.updated_at
  RETURNING item, level, low_threshold
), history AS (
  INSERT INTO status_reports
    (station_id, occupancy, charging_points_in_use, supplies, note, reported_by, reported_at, version)
  VALUES (:station_id, :occupancy, :reported_charging, :supplies::jsonb, :note, :user_id, :at, :version)
), closed AS (
  UPDATE supply_alerts SET closed_at = :at
   WHERE closed_at IS NULL AND station_id = :station_id
     AND item IN (SELECT item FROM supplies WHERE level >= low_threshold)
), opened AS (
  INSERT INTO supply_alerts (station_id, item, level, threshold, opened_at)
  SELECT :station_id, item, level, low_threshold, :at FROM supplies WHERE level < low_threshold
  ON CONFLICT (station_id, item) WHERE closed_at IS NULL DO NOTHING
  RETURNING id, item, level, threshold, opened_at
)
SELECT (SELECT jsonb_object_agg(item, jsonb_build_array(level, low_threshold))
          FROM station_supplies WHERE station_id = :station_id) AS supplies_before,
       (SELECT coalesce(jsonb_object_agg(item, jsonb_build_array(level, low_threshold)), '{}')
          FROM supplies) AS supplies_written,
       (SELECT coalesce(jsonb_agg(opened), '[]') FROM opened) AS opened
