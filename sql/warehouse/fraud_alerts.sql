-- fraud_alerts: the warehouse table the fraud job upserts every combined alert into.
--
-- Computes: nothing; it creates the table if it is missing.
-- Input: none.
-- Output: the table fraud_alerts, the fraud job's alert_history sink (sql/flink/connectors/
--   kafka.sql) writes it over JDBC.
-- Parameters: none.
-- Columns: lower-case, since the Flink JDBC connector's PostgreSQL dialect does not quote them.
--   (transaction_id, window_start) is the key: a replay overwrites the same rows.
-- Runs in: PostgreSQL (the platform) or DuckDB.

CREATE TABLE IF NOT EXISTS fraud_alerts (
    transaction_id VARCHAR NOT NULL,
    window_start TIMESTAMP NOT NULL,
    user_id VARCHAR NOT NULL,
    alert_type VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    risk_score DOUBLE PRECISION NOT NULL,
    alert_time BIGINT NOT NULL,
    PRIMARY KEY (transaction_id, window_start)
);
