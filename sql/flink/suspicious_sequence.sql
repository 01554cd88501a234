-- suspicious_sequence: card testing, several tiny transactions and then a large one.
--
-- Computes: suspicious_sequence_alerts. A transaction over large_amount alerts when at least
--   min_small of the user's previous (up to lookback) transactions, in event-time order, were
--   under small_amount. Risk 0.85; reason
--   'Multiple small test transactions followed by large amount'.
-- Input: transactions.
-- Output: suspicious_sequence_alerts (transaction_id, user_id, alert_type, reason, risk_score,
--   alert_millis and alert_time = the large transaction's event time).
-- Parameters: large_amount (500), small_amount (5), min_small (3), lookback (5).
-- How: MATCH_RECOGNIZE matches 3 to 5 consecutive transactions followed by the large one, and
--   counts the small ones among them. For the large transaction at position p, the matches
--   start between p - 5 and p - 3; any of them that holds 3 small ones lies inside the seed's
--   window of the last 5, so the set of alerted transactions is exactly the seed's. Several
--   matches can end at the same transaction; the alert is kept once.
-- @param large_amount = 500
-- @param small_amount = 5
-- @param min_small = 3
-- @param lookback = 5

CREATE TEMPORARY VIEW suspicious_sequence_alerts AS
WITH sequence_matches AS (
    SELECT  -- noqa: PRS
        user_id,
        transaction_id,
        alert_millis,
        alert_time
    FROM transactions
    MATCH_RECOGNIZE (
        PARTITION BY user_id
        ORDER BY event_time
        MEASURES
            large_txn.transaction_id AS transaction_id,
            large_txn.epoch_millis AS alert_millis,
            MATCH_ROWTIME() AS alert_time
        ONE ROW PER MATCH
        AFTER MATCH SKIP TO NEXT ROW
        PATTERN (recent_txn{${min_small},${lookback}} large_txn)
        DEFINE
            large_txn AS large_txn.amount > ${large_amount}
            AND COUNT(CASE WHEN recent_txn.amount < ${small_amount} THEN 1 END) >= ${min_small}
    )
),

one_alert_per_transaction AS (
    -- Matches ending at one transaction share its event time; a 1 ms window merges them and
    -- keeps the stream append-only, with its event time.
    SELECT
        transaction_id,
        MAX(user_id) AS user_id,
        MAX(alert_millis) AS alert_millis,
        window_time AS alert_time
    FROM TABLE(TUMBLE(TABLE sequence_matches, DESCRIPTOR(alert_time), INTERVAL '0.001' SECOND))
    GROUP BY transaction_id, window_start, window_end, window_time
)

SELECT
    transaction_id,
    user_id,
    'SUSPICIOUS_SEQUENCE' AS alert_type,
    'Multiple small test transactions followed by large amount' AS reason,
    CAST(0.85 AS DOUBLE) AS risk_score,
    alert_millis,
    alert_time
FROM one_alert_per_transaction;
