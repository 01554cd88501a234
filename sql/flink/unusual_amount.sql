-- unusual_amount: an amount far above the user's own history.
--
-- Computes: unusual_amount_alerts. For each transaction, in event-time order per user, the
--   count, mean and population standard deviation of the user's *previous* transactions. When
--   there were more than ${min_history} of them and amount > mean + 3 * stddev, an alert with
--   risk min((amount / mean - 1) * 0.2, 0.9) and reason
--   'Amount $A is Rx higher than average $M' (A and M to cents, R to one decimal, half up).
-- Input: transactions.
-- Output: unusual_amount_alerts (transaction_id, user_id, alert_type, reason, risk_score,
--   alert_millis and
--   alert_time = the transaction's event time, as epoch milliseconds and as rowtime).
-- Parameters: min_history, the seed's 10.
-- Edges: Flink rejects an OVER frame that ends at 1 PRECEDING, so the running sums include the
--   current row, and the previous row's sums are the previous statistics, bit for bit the
--   seed's totals. Transactions at the same millisecond are taken in arrival order, as the
--   seed's state sees them: the previous row is read with FIRST_VALUE over a ROWS frame of one
--   row back (LAG, which Calcite allows no frame, takes RANGE: tied rows shared one value).
--   stddev is the seed's sqrt(E[x^2] - mean^2);
--   rounding can make the radicand slightly negative, and then, as in the seed, no alert.
-- @param min_history = 10

CREATE TEMPORARY VIEW unusual_amount_alerts AS
WITH running_totals AS (
    SELECT
        transaction_id,
        user_id,
        amount,
        epoch_millis,
        event_time,
        count(*) OVER user_history AS running_count,
        sum(amount) OVER user_history AS running_sum,
        sum(amount * amount) OVER user_history AS running_squares
    FROM transactions
    WINDOW user_history AS (
        PARTITION BY user_id
        ORDER BY event_time
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    )
),

previous_totals AS (
    -- The previous row's running sums are the seed's totals before this transaction, added
    -- in the same order; subtracting the current amount instead can differ in the last bit.
    -- The first row has no previous one and gets its own sums, but its count is 0.
    SELECT
        transaction_id,
        user_id,
        amount,
        epoch_millis,
        event_time,
        running_count - 1 AS previous_count,
        first_value(running_sum) OVER previous_and_current AS previous_sum,
        first_value(running_squares) OVER previous_and_current AS previous_squares
    FROM running_totals
    WINDOW previous_and_current AS (
        PARTITION BY user_id
        ORDER BY event_time
        ROWS BETWEEN 1 PRECEDING AND CURRENT ROW
    )
),

previous_stats AS (
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
    FROM previous_totals
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
