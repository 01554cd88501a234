-- alerts_by_type_over_time: how many alerts each fraud detector raised, per time bucket.
--
-- Computes: the detectors' own alerts (before they are combined per transaction) counted per
--   alert type and per bucket of ${bucket_minutes} minutes of the transactions' event time (UTC),
--   from the first alert's bucket to the last one's; a bucket without an alert of a type counts
--   0, so every type has a row in every bucket.
-- Inputs: ${alerts_path}/detector_alerts/alertType=<type>/ (JSON lines, from the fraud job,
--   sql/flink/fraud_detection.sql, on the files connectors).
-- Outputs: alert_type, bucket_start (TIMESTAMP), alerts; ordered by bucket_start, alert_type.
-- Parameters: alerts_path, bucket_minutes.
-- Runs in DuckDB (runners/report/report.py).
-- @param alerts_path = data/alerts
-- @param bucket_minutes = 60

WITH detector_alerts AS (
    SELECT
        alerttype AS alert_type,
        time_bucket(
            to_minutes(${bucket_minutes}), make_timestamp(timestamp * 1000)
        ) AS bucket_start
    FROM read_json(
        '${alerts_path}/detector_alerts/*/*',
        format = 'newline_delimited',
        hive_partitioning = TRUE,
        columns = { 'timestamp': 'BIGINT' }
    )
),

alert_types AS (
    SELECT DISTINCT alert_type FROM detector_alerts
),

all_buckets AS (
    SELECT
        unnest(generate_series(
            min(bucket_start), max(bucket_start), to_minutes(${bucket_minutes})
        )) AS bucket_start
    FROM detector_alerts
),

alerts_per_bucket AS (
    SELECT
        alert_type,
        bucket_start,
        count(*) AS alerts
    FROM detector_alerts
    GROUP BY alert_type, bucket_start
)

SELECT
    alert_types.alert_type,
    all_buckets.bucket_start,
    coalesce(alerts_per_bucket.alerts, 0) AS alerts
FROM alert_types
CROSS JOIN all_buckets
LEFT JOIN alerts_per_bucket
    ON
        alert_types.alert_type = alerts_per_bucket.alert_type
        AND all_buckets.bucket_start = alerts_per_bucket.bucket_start
ORDER BY all_buckets.bucket_start, alert_types.alert_type;
