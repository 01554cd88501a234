-- fraud_scores: the warehouse table the fraud job upserts every valid transaction's score into.
--
-- Computes: nothing; it creates the table if it is missing.
-- Input: none.
-- Output: the table fraud_scores, which the fraud job's fraud_scores sink (sql/flink/connectors/
--   kafka.sql) writes over JDBC: each transaction's fraud model score and the model version that
--   gave it.
-- Parameters: none.
-- Columns: lower-case, since the Flink JDBC connector's PostgreSQL dialect does not quote them.
--   transaction_id is the key: a replay, or a restart from a checkpoint, overwrites the same row.
-- Runs in: PostgreSQL (the platform) or DuckDB.

CREATE TABLE IF NOT EXISTS fraud_scores (
    transaction_id VARCHAR NOT NULL PRIMARY KEY,
    user_id VARCHAR NOT NULL,
    fraud_score DOUBLE PRECISION NOT NULL,
    model_version VARCHAR NOT NULL,
    transaction_time BIGINT NOT NULL
);
