-- high_velocity: one detector alone, sql/flink/high_velocity.sql, on top of the parsing.
--
-- Computes: high_velocity_alerts, discarded.
-- Inputs: transactions (sql/flink/transactions.sql).
-- Outputs: detector_alerts (blackhole).
-- Parameters: none.

INSERT INTO detector_alerts
SELECT
    transaction_id AS `transactionId`,
    user_id AS `userId`,
    alert_type AS `alertType`,
    reason,
    risk_score AS `riskScore`,
    alert_millis AS `timestamp`
FROM high_velocity_alerts;
