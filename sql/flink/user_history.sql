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
--                       the previous transaction's place and time (NULL for the user's first
--                       transaction, whose previous_count is 0).
-- Input: transactions.
-- Output: transactions_with_history (the columns of transactions and the ones above).
-- Parameters: none.
-- How: one OVER aggregate keyed by user, shared by every detector that reads the user's
--   history (unusual_amount, impossible_travel, high_velocity), so the transactions are sorted
--   per user once. Flink rejects a frame that ends at 1 PRECEDING, LAG takes the RANGE frame
--   (tied rows would share one value), and a second OVER over ROWS BETWEEN 1 PRECEDING AND
--   CURRENT ROW keeps every row in state twice and took half the job's time; so two small
--   aggregates of udfs/java do it over the running frame: sum_of_previous (the sum of the rows
--   before, not SUM(x) - x, which can differ in the last bit) and previous_value (LAG over ROWS).

CREATE TEMPORARY FUNCTION IF NOT EXISTS previous_value AS 'sqlplatform.udfs.PreviousValue'
LANGUAGE JAVA;

CREATE TEMPORARY FUNCTION IF NOT EXISTS sum_of_previous AS 'sqlplatform.udfs.SumOfPrevious'
LANGUAGE JAVA;

CREATE TEMPORARY VIEW transactions_with_history AS
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
    count(*) OVER user_history - 1 AS previous_count,
    sum_of_previous(amount) OVER user_history AS previous_sum,
    sum_of_previous(amount * amount) OVER user_history AS previous_squares,
    previous_value(latitude) OVER user_history AS previous_latitude,
    previous_value(longitude) OVER user_history AS previous_longitude,
    previous_value(epoch_millis) OVER user_history AS previous_millis
FROM transactions
WINDOW user_history AS (
    PARTITION BY user_id
    ORDER BY event_time
    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
);
