-- user_history: each transaction with what the same user did before it.
--
-- Computes: transactions_with_history, every transaction of transactions with, over the user's
--   earlier transactions in event-time order (those at the same millisecond in arrival order,
--   as the seed's keyed state sees them):
--     history_position  1 for the user's first transaction, 2 for the next, ...;
--     previous_count, previous_sum, previous_squares
--                       how many came before, the sum of their amounts and of their squares,
--                       added in the same order as the seed's running totals (bit for bit);
--     previous_latitude, previous_longitude, previous_millis
--                       the previous transaction's place and time (the row's own for the
--                       user's first transaction, whose previous_count is 0).
-- Input: transactions.
-- Output: transactions_with_history (the columns of transactions and the ones above).
-- Parameters: none.
-- How: two OVER aggregates keyed by user, shared by every detector that reads the user's
--   history (unusual_amount, impossible_travel, high_velocity), so the transactions are sorted
--   per user once. Flink rejects an OVER frame that ends at 1 PRECEDING, so the running sums
--   include the current row, and the previous row's sums are read with FIRST_VALUE over a ROWS
--   frame of one row back (LAG, which Calcite allows no frame, takes RANGE: tied rows would
--   share one value). Subtracting the current amount instead can differ in the last bit.

CREATE TEMPORARY VIEW transactions_with_history AS
WITH running_totals AS (
    SELECT
        transaction_id,
        user_id,
        amount,
        merchant_category,
        latitude,
        longitude,
        epoch_millis,
        event_time,
        count(*) OVER user_history AS history_position,
        sum(amount) OVER user_history AS running_sum,
        sum(amount * amount) OVER user_history AS running_squares
    FROM transactions
    WINDOW user_history AS (
        PARTITION BY user_id
        ORDER BY event_time
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    )
)

SELECT
    transaction_id,
    user_id,
    amount,
    merchant_category,
    latitude,
    longitude,
    epoch_millis,
    event_time,
    history_position,
    history_position - 1 AS previous_count,
    first_value(running_sum) OVER previous_and_current AS previous_sum,
    first_value(running_squares) OVER previous_and_current AS previous_squares,
    first_value(latitude) OVER previous_and_current AS previous_latitude,
    first_value(longitude) OVER previous_and_current AS previous_longitude,
    first_value(epoch_millis) OVER previous_and_current AS previous_millis
FROM running_totals
WINDOW previous_and_current AS (
    PARTITION BY user_id
    ORDER BY event_time
    ROWS BETWEEN 1 PRECEDING AND CURRENT ROW
);
