-- register_fraud_model: record a trained fraud model and the gate's decision in model_registry.
--
-- Computes: one row per model version: its held-out metrics (its own, the deployed model's on
--   the same rows, and each rule's), file, checksum, and status: 'approved' (the gate passed;
--   deploy_model rolls it out, and mark_fraud_model_deployed.sql then makes it 'deployed') or
--   'rejected'.
-- Inputs: the run's XComs, rendered by Jinja through sql_string, which quotes a value as an SQL
--   string literal, so no value can change the statement.
-- Output: model_registry (sql/warehouse/model_registry.sql). It commits before the rollout, so
--   no model is deployed that the registry does not hold.
-- Parameters: none; the values are the run's (fraud_model_training's update_model_registry).
-- Runs in: PostgreSQL or DuckDB: both accept ON CONFLICT.

INSERT INTO model_registry (
    model_name, version, metrics, model_path, model_sha256, created_at, status
) VALUES (
    'fraud_detection',
    {{ sql_string(ti.xcom_pull(task_ids='train_model', key='version')) }},
    {{ sql_string(ti.xcom_pull(task_ids='validate_model', key='metrics')) }},
    {{ sql_string(ti.xcom_pull(task_ids='train_model', key='model_path')) }},
    {{ sql_string(ti.xcom_pull(task_ids='train_model', key='model_sha256')) }},
    cast({{ sql_string(ts) }} AS TIMESTAMP),
    {{ sql_string(
        ti.xcom_pull(task_ids='approve_model')
        or ti.xcom_pull(task_ids='reject_model')
    ) }}
)
ON CONFLICT (model_name, version) DO UPDATE SET
    metrics = excluded.metrics,
    model_path = excluded.model_path,
    model_sha256 = excluded.model_sha256,
    created_at = excluded.created_at,
    status = excluded.status;
