-- impossible_travel: two consecutive transactions of a user too far apart for the time between.
--
-- Computes: impossible_travel_alerts. Per user in event-time order, each transaction against
--   the previous one: distance_km by haversine_km (udfs/haversine.py) and
--   hours between them. When hours < ${max_hours} and distance / hours > ${max_speed_kmh}: an
--   alert with risk 0.95 and reason 'D km traveled in H hours (S km/h)' (D and S whole, H to
--   one decimal, half up).
-- Input: transactions_with_history (user_history.sql: the previous transaction of the user).
-- Outputs: impossible_travel_alerts (transaction_id, user_id, alert_type, reason, risk_score,
--   alert_millis and
--   alert_time = the transaction's event time, as epoch milliseconds and as rowtime), and
--   travel_candidates, the pairs that pass the cheap bound below.
-- Parameters: max_hours (2), max_speed_kmh (1000).
-- How: only the pairs where the rule can still fire reach the Python function: within
--   max_hours, and an upper bound of the distance, 6371 * (|dlat| + |dlon|) in radians (the
--   path along a meridian and then a parallel, never shorter than the great circle), over the
--   speed limit. 6371 is udfs/haversine.py's EARTH_RADIUS_KM: a smaller one here would drop
--   pairs the rule alerts (tests/flink/test_detectors.py checks that the two agree).
-- Edges: transactions at the same millisecond are taken in arrival order. With 0 hours between
--   them, as in the seed, different places alert with speed 'Infinity' and the same place does
--   not.
-- @param max_hours = 2
-- @param max_speed_kmh = 1000

CREATE TEMPORARY FUNCTION IF NOT EXISTS haversine_km AS 'udfs.haversine.haversine_km'
LANGUAGE PYTHON;

-- The pairs where the rule can still fire (also read by the benchmark's SQL-formula variant).
CREATE TEMPORARY VIEW travel_candidates AS
WITH timed_pairs AS (
    SELECT
        transaction_id,
        user_id,
        latitude,
        longitude,
        previous_latitude,
        previous_longitude,
        epoch_millis,
        event_time,
        (epoch_millis - previous_millis) / 3600000.0E0 AS hours_between
    FROM transactions_with_history
)

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
FROM timed_pairs
-- A user's first transaction has no previous one: its NULLs fail every test below.
WHERE
    hours_between < ${max_hours}
    AND 6371.0E0 * radians(
        abs(latitude - previous_latitude)
        + least(
            abs(longitude - previous_longitude),
            360 - abs(longitude - previous_longitude)
        )
    ) > ${max_speed_kmh} * hours_between;

CREATE TEMPORARY VIEW impossible_travel_alerts AS
WITH measured_candidates AS (
    -- The window table function is only a boundary: without it the planner merges the
    -- candidates' filter with the one below, and then calls the Python function on every row.
    SELECT
        transaction_id,
        user_id,
        epoch_millis,
        event_time,
        hours_between,
        haversine_km(previous_latitude, previous_longitude, latitude, longitude) AS distance_km
    FROM table(tumble(TABLE travel_candidates, DESCRIPTOR (event_time), INTERVAL '0.001' SECOND))
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
    FROM measured_candidates
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
-- At 0 hours apart, a distance over 0 is an infinite speed, over any limit, and 0 km in 0 hours
-- is NaN, over none (IEEE division, as the seed's Java divides).
WHERE speed_kmh > ${max_speed_kmh};
