-- detector: one detector alone, on top of the parsing: the view ${detector}_alerts of
-- sql/flink/${detector}.sql (or of a variant in this folder).
--
-- Computes: the detector's alerts, discarded.
-- Inputs: ${detector}_alerts, and through it transactions (sql/flink/transactions.sql).
-- Outputs: detector_alerts (blackhole).
-- Parameters: detector, the detector's file name without .sql (fraud_benchmark.py lists them).

INSERT INTO detector_alerts
SELECT
    transaction_id AS `transactionId`,
    user_id AS `userId`,
    alert_type AS `alertType`,
    reason,
    risk_score AS `riskScore`,
    alert_millis AS `timestamp`
FROM ${detector}_alerts;
