-- parse: the baseline every detector pays, reading, parsing and checking the lines.
--
-- Computes: the valid, on-time transactions, discarded.
-- Inputs: transactions (sql/flink/transactions.sql).
-- Outputs: parsed_transactions (blackhole).
-- Parameters: none.

INSERT INTO parsed_transactions
SELECT
    transaction_id,
    user_id,
    amount,
    merchant_category,
    latitude,
    longitude,
    epoch_millis
FROM transactions;
