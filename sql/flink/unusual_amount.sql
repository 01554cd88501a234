-- unusual_amount: an amount far above the user's own history.
--
-- Computes: unusual_amount_alerts. For each transaction, in event-time order per user, the
--   count, mean and population standard deviation of the user's *previous* transactions. When
--   there were more than ${min_history} of them and amount > mean + 3 * stddev, an alert with
--   risk min((amount / mean - 1) * 0.2, 0.9) and reason
--   'Amount $A is Rx higher than average $M' (A and M to cents, R to one decimal, half up).
-- Input: transactions_with_history (user_history.sql: the previous count and sums, added in
--   the seed's order, transactions at the same millisecond in arrival order).
-- Output: unusual_amount_alerts (transaction_id, user_id, alert_type, reason, risk_score,
--   alert_millis and
--   alert_time = the transaction's event time, as epoch milliseconds and as rowtime).
-- Parameters: min_history, the seed's 10.
-- Edges: stddev is the seed's sqrt(E[x^2] - mean^2); rounding can make the radicand slightly
--   negative, and then, as in the seed, no alert.
-- @param min_history = 10

CREATE TEMPORARY VIEW unusual_amount_alerts AS
WITH previous_stats AS (
    SELECT
        transaction_id,
        user_id,
        amount,
        epoch_millis,
        event_time,
        previous_sum / previous_count AS previous_mean,
        sqrt(
            previous_squares / previous_count
            - power(previous_sum / previous_count, 2)
        ) AS previous_stddev
    FROM transactions_with_history
    WHERE previous_count > ${min_history}
)

SELECT
    transaction_id,
    user_id,
    'UNUSUAL_AMOUNT' AS alert_type,
    epoch_millis AS alert_millis,
    event_time AS alert_time,
    'Amount $' || cast(cast(round(amount, 2) AS DECIMAL(30, 2)) AS STRING)
    || ' is ' || cast(cast(round(amount / previous_mean, 1) AS DECIMAL(30, 1)) AS STRING)
    || 'x higher than average $'
    || cast(cast(round(previous_mean, 2) AS DECIMAL(30, 2)) AS STRING) AS reason,
    least((amount / previous_mean - 1) * 0.2E0, 0.9E0) AS risk_score
FROM previous_stats
WHERE amount > previous_mean + 3 * previous_stddev;
