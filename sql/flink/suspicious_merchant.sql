-- suspicious_merchant: a transaction at a high-risk merchant category.
--
-- Computes: suspicious_merchant_alerts, one per transaction whose merchantCategory is
--   WIRE_TRANSFER, CRYPTO or GIFT_CARDS (exact, case-sensitive, as the seed compares). Risk 0.6;
--   reason 'Transaction at high-risk merchant category: <category>'.
-- Input: transactions.
-- Output: suspicious_merchant_alerts (transaction_id, user_id, alert_type, reason, risk_score,
--   alert_millis and
--   alert_time = the transaction's event time, as epoch milliseconds and as rowtime).
-- Parameters: none.

CREATE TEMPORARY VIEW suspicious_merchant_alerts AS
SELECT
    transaction_id,
    user_id,
    'SUSPICIOUS_MERCHANT' AS alert_type,
    cast(0.6 AS DOUBLE) AS risk_score,
    epoch_millis AS alert_millis,
    event_time AS alert_time,
    'Transaction at high-risk merchant category: ' || merchant_category AS reason
FROM transactions
WHERE merchant_category IN ('WIRE_TRANSFER', 'CRYPTO', 'GIFT_CARDS');
