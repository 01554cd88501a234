-- schemas: the columns of the job's tables, each declared once. The profile's connectors/ file
-- (and the benchmark's) derives every table it reads or writes from one of these with
-- CREATE TABLE ... WITH (...) LIKE <schema>, adding only where the rows come from or go to.
--
-- Computes: nothing; these tables have no connector, so nothing reads or writes them directly.
-- Inputs: none.
-- Outputs:
--   transaction_line_schema  one raw input line, kept as text so a malformed line reaches the
--                            dead letters with its original text (transaction_lines);
--   fraud_alert_schema       the seed's FraudAlert JSON (fraud_alerts, detector_alerts);
--   alert_history_schema     a combined alert, keyed by (transaction_id, window_start) so a
--                            replay overwrites instead of duplicating (alert_history, the
--                            warehouse table fraud_alerts of sql/warehouse/fraud_alerts.sql);
--   dead_letter_schema       an invalid line and why it is invalid (dead_letters);
--   late_transaction_schema  a valid line that came behind the watermark, with its event time
--                            and the watermark it missed (late_transactions);
--   fraud_score_schema       a transaction's fraud score and the model version that gave it,
--                            keyed by transaction_id so a replay overwrites (fraud_scores, the
--                            warehouse table of sql/warehouse/fraud_scores.sql);
--   feature_log_schema       a scored transaction's features, score and model version, by day
--                            (UTC) of its time: what training reads (fraud_features).
-- Parameters: none.

CREATE TEMPORARY TABLE transaction_line_schema (
    line STRING
);

CREATE TEMPORARY TABLE fraud_alert_schema (
    `transactionId` STRING,
    `userId` STRING,
    `alertType` STRING,
    reason STRING,
    `riskScore` DOUBLE,
    `timestamp` BIGINT
);

CREATE TEMPORARY TABLE alert_history_schema (
    transaction_id STRING,
    window_start TIMESTAMP(3),
    user_id STRING,
    alert_type STRING,
    reason STRING,
    risk_score DOUBLE,
    alert_time BIGINT,
    PRIMARY KEY (transaction_id, window_start) NOT ENFORCED
);

CREATE TEMPORARY TABLE dead_letter_schema (
    line STRING,
    error STRING
);

CREATE TEMPORARY TABLE late_transaction_schema (
    line STRING,
    event_time TIMESTAMP_LTZ(3),
    watermark_at_arrival TIMESTAMP_LTZ(3)
);

CREATE TEMPORARY TABLE fraud_score_schema (
    transaction_id STRING,
    user_id STRING,
    fraud_score DOUBLE,
    model_version STRING,
    transaction_time BIGINT,
    PRIMARY KEY (transaction_id) NOT ENFORCED
);

CREATE TEMPORARY TABLE feature_log_schema (
    transaction_id STRING,
    user_id STRING,
    transaction_time BIGINT,
    amount DOUBLE,
    amount_to_mean DOUBLE,
    amount_zscore DOUBLE,
    previous_count DOUBLE,
    seconds_since_previous DOUBLE,
    km_from_previous DOUBLE,
    km_from_first DOUBLE,
    speed_kmh DOUBLE,
    recent_count DOUBLE,
    previous_small DOUBLE,
    high_risk_merchant DOUBLE,
    hour_of_day DOUBLE,
    fraud_score DOUBLE,
    model_version STRING,
    `day` STRING
);
