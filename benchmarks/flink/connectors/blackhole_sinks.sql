-- blackhole_sinks: the job's five outputs, discarded, so a benchmark measures the rules and
-- not the disks (Nexmark's convention); plus parsed_transactions for the parsing baseline.
--
-- Computes: nothing; declares the sinks of connectors/files.sql with the blackhole connector.
-- Inputs: none.
-- Outputs: fraud_alerts, alert_history, detector_alerts, dead_letters, late_transactions,
--   parsed_transactions.
-- Parameters: none.

CREATE TEMPORARY TABLE fraud_alerts (
    `transactionId` STRING,
    `userId` STRING,
    `alertType` STRING,
    reason STRING,
    `riskScore` DOUBLE,
    `timestamp` BIGINT
) WITH ('connector' = 'blackhole');

CREATE TEMPORARY TABLE alert_history (
    transaction_id STRING,
    window_start TIMESTAMP(3),
    user_id STRING,
    alert_type STRING,
    reason STRING,
    risk_score DOUBLE,
    alert_time BIGINT
) WITH ('connector' = 'blackhole');

CREATE TEMPORARY TABLE detector_alerts (
    `transactionId` STRING,
    `userId` STRING,
    `alertType` STRING,
    reason STRING,
    `riskScore` DOUBLE,
    `timestamp` BIGINT
) WITH ('connector' = 'blackhole');

CREATE TEMPORARY TABLE dead_letters (
    line STRING,
    error STRING
) WITH ('connector' = 'blackhole');

CREATE TEMPORARY TABLE late_transactions (
    line STRING,
    event_time TIMESTAMP_LTZ(3),
    watermark_at_arrival TIMESTAMP_LTZ(3)
) WITH ('connector' = 'blackhole');

CREATE TEMPORARY TABLE parsed_transactions (
    transaction_id STRING,
    user_id STRING,
    amount DOUBLE,
    merchant_category STRING,
    latitude DOUBLE,
    longitude DOUBLE,
    epoch_millis BIGINT
) WITH ('connector' = 'blackhole');
