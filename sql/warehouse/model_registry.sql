-- model_registry: one row per trained model version, and what became of it.
--
-- Computes: nothing; it creates the table if it is missing.
-- Input: none.
-- Output: the table model_registry, written by sql/airflow/register_model.sql.
-- Parameters: none.
-- Columns: model_name and version (the run's date) are the key, so a re-run of the same day
--   updates its row instead of adding one; metrics, the holdout metrics as JSON text;
--   model_path and model_sha256, the file and the checksum a loader must find before using it;
--   created_at, when the row was written; status, what really happened: 'deployed' or
--   'rejected' (below the F1 gate; the seed writes 'deployed' either way).
-- Runs in: PostgreSQL (the platform) or DuckDB (the embedded default).

CREATE TABLE IF NOT EXISTS model_registry (
    model_name VARCHAR NOT NULL,
    version VARCHAR NOT NULL,
    metrics VARCHAR NOT NULL,
    model_path VARCHAR NOT NULL,
    model_sha256 VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    status VARCHAR NOT NULL,
    PRIMARY KEY (model_name, version)
);
