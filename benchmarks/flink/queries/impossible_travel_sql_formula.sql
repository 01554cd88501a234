-- impossible_travel_sql_formula: the IMPOSSIBLE_TRAVEL rule with consecutive pairs from a
-- two-row MATCH_RECOGNIZE and the haversine distance written in SQL instead of the Python UDF,
-- to measure what the UDF costs. Not used by the job (see README, Performance).
--
-- Computes: impossible_travel_sql_formula_alerts, discarded.
-- Inputs: transactions (sql/flink/transactions.sql).
-- Outputs: detector_alerts (blackhole).
-- Parameters: max_hours (2), max_speed_kmh (1000).
-- @param max_hours = 2
-- @param max_speed_kmh = 1000

CREATE TEMPORARY VIEW impossible_travel_sql_formula_alerts AS
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
            2 * 6371.0E0 * asin(sqrt(
                power(sin(radians(latitude - previous_latitude) / 2), 2)
                + cos(radians(previous_latitude)) * cos(radians(latitude))
                * power(sin(radians(longitude - previous_longitude) / 2), 2)
            )) AS distance_km
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

INSERT INTO detector_alerts
SELECT
    transaction_id AS `transactionId`,
    user_id AS `userId`,
    alert_type AS `alertType`,
    reason,
    risk_score AS `riskScore`,
    alert_millis AS `timestamp`
FROM impossible_travel_sql_formula_alerts;
