-- register_model: record a trained churn model and its outcome in model_registry (upsert).
--
-- Computes: one row per model version: its holdout metrics, file, checksum and status, what the
--   branch that ran returned ('deployed' from approve_model, 'rejected' from
--   alert_poor_performance).
-- Inputs: the run's XComs, rendered by Jinja through sql_string, the DAG's macro that quotes a
--   value (a dict as JSON) as an SQL string literal, so no value can change the statement.
-- Output: model_registry (sql/warehouse/model_registry.sql), in the warehouse connection's
--   database. It commits before deploy_model publishes the file, so no model is deployed that
--   the registry does not hold.
-- Parameters: none; the values are the run's. An Airflow SQL task (update_model_registry) of
--   ml_pipeline_customer_churn runs it after model_registry.sql.
-- Runs in: PostgreSQL or DuckDB: both accept ON CONFLICT.

INSERT INTO model_registry (
    model_name, version, metrics, model_path, model_sha256, created_at, status
) VALUES (
    'churn_prediction',
    {{ sql_string(ds) }},
    {{ sql_string(ti.xcom_pull(task_ids='validate_model', key='metrics')) }},
    {{ sql_string(ti.xcom_pull(task_ids='train_model', key='model_path')) }},
    {{ sql_string(ti.xcom_pull(task_ids='train_model', key='model_sha256')) }},
    cast({{ sql_string(ts) }} AS TIMESTAMP),
    {{ sql_string(
        ti.xcom_pull(task_ids='approve_model')
        or ti.xcom_pull(task_ids='alert_poor_performance')
    ) }}
)
ON CONFLICT (model_name, version) DO UPDATE SET
    metrics = excluded.metrics,
    model_path = excluded.model_path,
    model_sha256 = excluded.model_sha256,
    created_at = excluded.created_at,
    status = excluded.status;
