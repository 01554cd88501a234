-- record_flink_job_status: record one health check of the fraud job in flink_job_status (upsert).
--
-- Computes: one row per check, keyed by (checked_at, job_name): what the cluster reported and
--   what the check did. It runs whatever the check and the restart did (a teardown): a failed
--   restart is recorded as 'restart_failed' with its error, an unreachable cluster as
--   'UNREACHABLE'.
-- Inputs: the XComs of check_fraud_job and restart_fraud_job, quoted by the DAG's sql_string
--   macro; the restart's are NULL when the job was healthy and nothing was restarted.
-- Output: flink_job_status (sql/warehouse/flink_job_status.sql), in the warehouse connection's
--   database.
-- Parameters: none; the values are the run's. An Airflow SQL task (record_job_status) of
--   fraud_detection_ops runs it after flink_job_status.sql.

INSERT INTO flink_job_status (
    checked_at, job_name, job_id, job_state, action_taken, new_job_id, restored_from,
    failure_cause, error
) VALUES (
    cast({{ sql_string(ts) }} AS TIMESTAMP),
    {{ sql_string(params.job_name) }},
    {{ sql_string(ti.xcom_pull(task_ids='check_flink_job_health', key='job_id')) }},
    {{ sql_string(ti.xcom_pull(task_ids='check_flink_job_health', key='state')) }},
    {{ sql_string(ti.xcom_pull(task_ids='restart_fraud_job', key='action') or 'none') }},
    {{ sql_string(ti.xcom_pull(task_ids='restart_fraud_job', key='new_job_id')) }},
    {{ sql_string(ti.xcom_pull(task_ids='restart_fraud_job', key='restored_from')) }},
    {{ sql_string(ti.xcom_pull(task_ids='check_flink_job_health', key='cause')) }},
    {{ sql_string(ti.xcom_pull(task_ids='restart_fraud_job', key='error')
                  or ti.xcom_pull(task_ids='check_flink_job_health', key='error')) }}
)
ON CONFLICT (checked_at, job_name) DO UPDATE SET
    job_id = excluded.job_id,
    job_state = excluded.job_state,
    action_taken = excluded.action_taken,
    new_job_id = excluded.new_job_id,
    restored_from = excluded.restored_from,
    failure_cause = excluded.failure_cause,
    error = excluded.error;
