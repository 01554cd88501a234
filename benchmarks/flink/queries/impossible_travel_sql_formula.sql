-- impossible_travel_sql_formula: the IMPOSSIBLE_TRAVEL rule of sql/flink/impossible_travel.sql
-- with the haversine distance written in SQL instead of the Python UDF, to measure what the UDF
-- costs. Not used by the job (see docs/performance.md).
--
-- Computes: impossible_travel_sql_formula_alerts.
-- Inputs: travel_candidates (sql/flink/impossible_travel.sql).
-- Outputs: impossible_travel_sql_formula_alerts, which queries/detector.sql discards.
-- Parameters: max_speed_kmh (1000).
-- @param max_speed_kmh = 1000

CREATE TEMPORARY VIEW impossible_travel_sql_formula_alerts AS
WITH travel_speeds AS (
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
        FROM travel_candidates
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
