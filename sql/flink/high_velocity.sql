-- high_velocity: more than 5 transactions of one user in one event-time minute.
--
-- Computes: high_velocity_alerts, one alert per (user, 1-minute tumbling window) with more than
--   ${max_per_minute} transactions, on the window's last transaction: the latest by event time,
--   and of several at that millisecond the last to arrive (the seed's window keeps its
--   transactions in arrival order and takes the last). Risk = min(0.5 + (n - 5) * 0.1, 1.0);
--   reason 'n transactions in 1 minute'.
-- Input: transactions_with_history (user_history.sql), whose history_position orders a user's
--   transactions by event time and, at one millisecond, by arrival.
-- Output: high_velocity_alerts (transaction_id, user_id, alert_type, reason, risk_score,
--   alert_millis, the last transaction's event time, and alert_time, the rowtime: the window's
--   last instant, since the alert is known when the window closes).
-- Parameters: max_per_minute, the seed's 5.
-- @param max_per_minute = 5

CREATE TEMPORARY VIEW high_velocity_alerts AS
WITH user_minutes AS (
    SELECT
        user_id,
        window_time,
        count(*) AS transaction_count,
        -- One aggregate finds the last transaction: its time and id ride behind its
        -- fixed-width position in the user's history.
        max(
            lpad(cast(history_position AS STRING), 19, '0')
            || lpad(cast(epoch_millis AS STRING), 20, ' ')
            || transaction_id
        ) AS last_key
    FROM
        table(
            tumble(TABLE transactions_with_history, DESCRIPTOR (event_time), INTERVAL '1' MINUTE)
        )
    GROUP BY user_id, window_start, window_end, window_time
)

SELECT
    user_id,
    window_time AS alert_time,
    'HIGH_VELOCITY' AS alert_type,
    cast(trim(substr(last_key, 20, 20)) AS BIGINT) AS alert_millis,
    substr(last_key, 40) AS transaction_id,
    cast(transaction_count AS STRING) || ' transactions in 1 minute' AS reason,
    least(0.5E0 + (transaction_count - ${max_per_minute}) * 0.1E0, 1.0E0) AS risk_score
FROM user_minutes
WHERE transaction_count > ${max_per_minute};
