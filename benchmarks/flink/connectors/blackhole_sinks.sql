-- blackhole_sinks: the job's seven outputs, discarded, so a benchmark measures the rules and
-- not the disks (Nexmark's convention); plus parsed_transactions for the parsing baseline.
--
-- Computes: nothing; declares the sinks of connectors/files.sql with the blackhole connector.
-- Inputs: none.
-- Outputs: fraud_alerts, alert_history, detector_alerts, dead_letters, late_transactions,
--   fraud_scores, feature_log (columns from sql/flink/schemas.sql), parsed_transactions.
-- Parameters: none.

CREATE TEMPORARY TABLE parsed_transactions (
    transaction_id STRING,
    user_id STRING,
    amount DOUBLE,
    merchant_category STRING,
    latitude DOUBLE,
    longitude DOUBLE,
    epoch_millis BIGINT
) WITH ('connector' = 'blackhole');

-- The flink dialect of the linter requires a column list before LIKE, which Flink does not.
-- noqa: disable=all
CREATE TEMPORARY TABLE fraud_alerts WITH ('connector' = 'blackhole') LIKE fraud_alert_schema;

CREATE TEMPORARY TABLE alert_history WITH ('connector' = 'blackhole') LIKE alert_history_schema;

CREATE TEMPORARY TABLE detector_alerts WITH ('connector' = 'blackhole') LIKE fraud_alert_schema;

CREATE TEMPORARY TABLE dead_letters WITH ('connector' = 'blackhole') LIKE dead_letter_schema;

CREATE TEMPORARY TABLE late_transactions WITH (
    'connector' = 'blackhole'
) LIKE late_transaction_schema;

CREATE TEMPORARY TABLE fraud_scores WITH ('connector' = 'blackhole') LIKE fraud_score_schema;

CREATE TEMPORARY TABLE feature_log WITH ('connector' = 'blackhole') LIKE feature_log_schema;
-- noqa: enable=all
