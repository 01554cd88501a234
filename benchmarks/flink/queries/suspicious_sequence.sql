-- suspicious_sequence: one detector alone, sql/flink/suspicious_sequence.sql, on top of the parsing.
--
-- Computes: suspicious_sequence_alerts, discarded.
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
FROM suspicious_sequence_alerts;
