-- Writes one accepted report in a single statement, with no transaction around it: the live
-- status, the supplies it gave, the history row, the low-stock alerts (closed when restocked to
-- the threshold, opened on a fall below it while none is open) and the answer kept under the
-- Idempotency-Key. It applies only if the status is still at the version the report was decided
-- on; otherwise it writes nothing and `applied` is false, and the report is decided
-- again on what the other writer left. A key taken meanwhile fails the statement on the primary
-- key, so nothing is written twice under one key.
-- The report time is later than every earlier report of the station (submitReport sees to it),
-- so an alert closes after it opened.
WITH status AS (
  UPDATE station_status
     SET occupancy = :occupancy, charging_points_in_use = :charging, reported_at = :at,
         reported_by = :user_id, version = :expected + 1
   WHERE station_id = :station_id AND version = :expected
  RETURNING station_id
), answer AS (
  INSERT INTO idempotency_keys (user_id, key, request_hash, status_code, response)
  SELECT :user_id, :key, :request_hash, 201, :answer::jsonb FROM status
), supplies AS (
  INSERT INTO station_supplies (station_id, item, level, updated_at)
  SELECT :station_id, e.key, e.value::int, :at
    FROM jsonb_each_text(:supplies::jsonb) AS e, status
  ON CONFLICT (station_id, item) DO UPDATE SET level = excluded.level, updated_at = excluded.updated_at
  RETURNING item, level, low_threshold
), history AS (
  INSERT INTO status_reports
    (station_id, occupancy, charging_points_in_use, supplies, note, reported_by, reported_at, version)
  SELECT :station_id, :occupancy, :reported_charging, :supplies::jsonb, :note, :user_id, :at, :expected + 1
    FROM status
), closed AS (
  UPDATE supply_alerts SET closed_at = :at
   WHERE closed_at IS NULL AND station_id = :station_id
     AND item IN (SELECT item FROM supplies WHERE level >= low_threshold)
), opened AS (
  INSERT INTO supply_alerts (station_id, item, level, threshold, opened_at)
  SELECT :station_id, item, level, low_threshold, :at FROM supplies WHERE level < low_threshold
  ON CONFLICT (station_id, item) WHERE closed_at IS NULL DO NOTHING
  RETURNING id
)
SELECT EXISTS (SELECT 1 FROM status) AS applied, (SELECT count(*)::int FROM opened) AS opened
