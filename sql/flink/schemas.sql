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
--                            and the watermark it missed (late_transactions).
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
