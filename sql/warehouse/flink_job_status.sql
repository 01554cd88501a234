-- flink_job_status: what each hourly health check of a Flink job found and did.
--
-- Computes: nothing; it creates the table if it is missing, and adds the columns added after
--   the first release (ALTER below).
-- Input: none.
-- Output: the table flink_job_status, written by sql/airflow/record_flink_job_status.sql.
-- Parameters: none.
-- Columns: checked_at (the check's logical time) and job_name are the key, so a re-run of the
--   same check updates its row; job_id and job_state, what the cluster reported (job_state
--   'MISSING' when it listed no job of that name, 'UNREACHABLE' when its REST API did not
--   answer); action_taken, 'none', 'restarted' or 'restart_failed'; new_job_id and
--   restored_from, the restarted job and the checkpoint or savepoint it started from;
--   failure_cause, a failed job's innermost cause; error, what went wrong in the check or the
--   restart itself.
-- Runs in: PostgreSQL (the platform) or DuckDB (the embedded default).

CREATE TABLE IF NOT EXISTS flink_job_status (
    checked_at TIMESTAMP NOT NULL,
    job_name VARCHAR NOT NULL,
    job_id VARCHAR,
    job_state VARCHAR NOT NULL,
    action_taken VARCHAR NOT NULL,
    new_job_id VARCHAR,
    restored_from VARCHAR,
    PRIMARY KEY (checked_at, job_name)
);

ALTER TABLE flink_job_status ADD COLUMN IF NOT EXISTS failure_cause VARCHAR;

ALTER TABLE flink_job_status ADD COLUMN IF NOT EXISTS error VARCHAR;
