-- impossible_travel: two consecutive transactions of a user too far apart for the time between.
--
-- Computes: impossible_travel_alerts. Per user in event-time order, each transaction against
--   the previous one: distance_km by haversine_km (udfs/haversine.py, shared with Spark) and
--   hours between them. When hours < ${max_hours} and distance / hours > ${max_speed_kmh}: an
--   alert with risk 0.95 and reason 'D km traveled in H hours (S km/h)' (D and S whole, H to
--   one decimal, half up).
-- Input: transactions.
-- Output: impossible_travel_alerts (transaction_id, user_id, alert_type, reason, risk_score,
--   alert_millis and
--   alert_time = the transaction's event time, as epoch milliseconds and as rowtime).
-- Parameters: max_hours (2), max_speed_kmh (1000).
-- How: MATCH_RECOGNIZE pairs each transaction with the one before it (PATTERN (previous_txn
--   current_txn), skipping to current_txn, so every consecutive pair is tried) and keeps only
--   the pairs where the rule can still fire: within max_hours, and an upper bound of the
--   distance, 6371 * (|dlat| + |dlon|) in radians (the path along a meridian and then a
--   parallel, never shorter than the great circle), over the speed limit. The Python function
--   (which MATCH_RECOGNIZE cannot call) then measures only those pairs. With LAG instead, the
--   planner merged the two filters and called the function on every transaction.
-- Edges: transactions at the same millisecond are taken in arrival order. With 0 hours between
--   them, as in the seed, different places alert with speed 'Infinity' and the same place does
--   not.
-- @param max_hours = 2
-- @param max_speed_kmh = 1000

CREATE TEMPORARY FUNCTION IF NOT EXISTS haversine_km AS 'udfs.haversine.haversine_km'
LANGUAGE PYTHON;

CREATE TEMPORARY VIEW impossible_travel_alerts AS
WITH reachable_candidates AS (
    SELECT
        transaction_id,
        user_id,
        latitude,
        longitude,
        previous_latitude,
        previous_longitude,
        epoch_millis,
        event_time,
        hours_between
    FROM transactions
    -- sqlfluff's flink dialect cannot parse MATCH_RECOGNIZE; lint skips this clause only.
    -- noqa: disable=all
    MATCH_RECOGNIZE (
        PARTITION BY user_id
        ORDER BY event_time
        MEASURES
            current_txn.transaction_id AS transaction_id,
            current_txn.latitude AS latitude,
            current_txn.longitude AS longitude,
            previous_txn.latitude AS previous_latitude,
            previous_txn.longitude AS previous_longitude,
            current_txn.epoch_millis AS epoch_millis,
            MATCH_ROWTIME() AS event_time,
            (current_txn.epoch_millis - previous_txn.epoch_millis) / 3600000.0E0 AS hours_between
        ONE ROW PER MATCH
        AFTER MATCH SKIP TO LAST current_txn
        PATTERN (previous_txn current_txn)
        DEFINE
            current_txn AS
                (current_txn.epoch_millis - previous_txn.epoch_millis) / 3600000.0E0 < ${max_hours}
                AND 6371.0E0 * radians(
                    abs(current_txn.latitude - previous_txn.latitude)
                    + least(
                        abs(current_txn.longitude - previous_txn.longitude),
                        360 - abs(current_txn.longitude - previous_txn.longitude)
                    )
                ) > ${max_speed_kmh}
                * (current_txn.epoch_millis - previous_txn.epoch_millis) / 3600000.0E0
    )
    -- noqa: enable=all
),

travel_speeds AS (
    SELECT
        transaction_id,
        user_id,
        epoch_millis,
        event_time,
        hours_between,
        distance_km,
        distance_km / hours_between AS speed_kmh
    FROM (
        SELECT
            transaction_id,
            user_id,
            epoch_millis,
            event_time,
            hours_between,
            haversine_km(previous_latitude, previous_longitude, latitude, longitude) AS distance_km
        FROM reachable_candidates
    ) AS measured_candidates
)

SELECT
    transaction_id,
    user_id,
    'IMPOSSIBLE_TRAVEL' AS alert_type,
    cast(0.95 AS DOUBLE) AS risk_score,
    epoch_millis AS alert_millis,
    event_time AS alert_time,
    cast(cast(round(distance_km, 0) AS DECIMAL(30, 0)) AS STRING) || ' km traveled in '
    || cast(cast(round(hours_between, 1) AS DECIMAL(30, 1)) AS STRING) || ' hours ('
    || CASE
        WHEN hours_between = 0 THEN 'Infinity'
        ELSE cast(cast(round(speed_kmh, 0) AS DECIMAL(30, 0)) AS STRING)
    END || ' km/h)' AS reason
FROM travel_speeds
WHERE (hours_between = 0 AND distance_km > 0) OR speed_kmh > ${max_speed_kmh};
