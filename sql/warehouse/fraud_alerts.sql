-- fraud_alerts: the warehouse table the fraud job upserts every combined alert into.
--
-- Columns are lower-case: the Flink JDBC connector's PostgreSQL dialect does not quote them.
-- (transaction_id, window_start) is the key: a replay overwrites the same rows.
-- Runs in PostgreSQL (the platform) or DuckDB.

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
