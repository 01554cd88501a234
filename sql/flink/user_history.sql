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
--                       transaction, whose previous_count is 0);
--     first_latitude, first_longitude
--                       where the user's card was first used (its own place on the first);
--     recent_count      the user's transactions in the ${recent_millis} ms up to and including
--                       this one (epoch_millis > this one's - ${recent_millis});
--     previous_small    how many of the ${recent_window} transactions before this one are
--                       under ${small_amount} (the seed's card tests; fewer at the start).
-- Input: transactions.
-- Output: transactions_with_history (the columns of transactions and the ones above).
-- Parameters: recent_millis (a minute), recent_window and small_amount (the seed's sequence
--   detector's last five and $5), for the fraud model's features (fraud_features.sql).
-- @param recent_millis = 60000
-- @param recent_window = 5
-- @param small_amount = 5
-- How: one OVER aggregate keyed by user, shared by every detector that reads the user's
--   history (unusual_amount, impossible_travel, high_velocity), so the transactions are sorted
--   per user once. Flink rejects a frame that ends at 1 PRECEDING, LAG takes the RANGE frame
--   (tied rows would share one value), and a second OVER over ROWS BETWEEN 1 PRECEDING AND
--   CURRENT ROW keeps every row in state twice and took half the job's time; so two small
--   aggregates of udfs/java do it over the running frame: sum_of_previous (the sum of the rows
--   before, not SUM(x) - x, which can differ in the last bit) and previous_value (LAG over ROWS);
--   two more count within the running frame what would otherwise take frames of their own
--   (count_within, count_below_among_previous).

CREATE TEMPORARY FUNCTION IF NOT EXISTS previous_value AS 'sqlplatform.udfs.PreviousValue'
LANGUAGE JAVA;

CREATE TEMPORARY FUNCTION IF NOT EXISTS sum_of_previous AS 'sqlplatform.udfs.SumOfPrevious'
LANGUAGE JAVA;

CREATE TEMPORARY FUNCTION IF NOT EXISTS count_within AS 'sqlplatform.udfs.CountWithin'
LANGUAGE JAVA;

CREATE TEMPORARY FUNCTION IF NOT EXISTS count_below_among_previous
AS 'sqlplatform.udfs.CountBelowAmongPrevious'
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
    previous_value(epoch_millis) OVER user_history AS previous_millis,
    first_value(latitude) OVER user_history AS first_latitude,
    first_value(longitude) OVER user_history AS first_longitude,
    count_within(epoch_millis, cast(${recent_millis} AS BIGINT)) OVER user_history AS recent_count,
    count_below_among_previous(
        amount, cast(${small_amount} AS DOUBLE), ${recent_window}
    ) OVER user_history AS previous_small
FROM transactions
WINDOW user_history AS (
    PARTITION BY user_id
    ORDER BY event_time
    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
);
