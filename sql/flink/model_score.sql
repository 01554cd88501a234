-- model_score: a transaction the fraud model scores above a threshold, the sixth alert type.
--
-- Computes: model_score_alerts, one per transaction of scored_transactions with fraud_score >
--   ${min_model_score}. Risk = the score; reason 'Fraud model <version> scored <score>' (the
--   score to two decimals, half up).
-- Input: scored_transactions (scored_transactions.sql).
-- Output: model_score_alerts (transaction_id, user_id, alert_type MODEL_SCORE, reason,
--   risk_score, alert_millis and alert_time = the transaction's event time).
-- Parameters: min_model_score, the score above which the model alerts. The training DAG
--   chooses the model's threshold on held-out data (its F1 is measured there); 0.5 is a
--   classifier's own.
-- @param min_model_score = 0.5

CREATE TEMPORARY VIEW model_score_alerts AS
SELECT
    transaction_id,
    user_id,
    'MODEL_SCORE' AS alert_type,
    fraud_score AS risk_score,
    epoch_millis AS alert_millis,
    event_time AS alert_time,
    'Fraud model ' || model_version || ' scored '
    || cast(cast(fraud_score AS DECIMAL(30, 2)) AS STRING) AS reason
FROM scored_transactions
WHERE fraud_score > ${min_model_score};
