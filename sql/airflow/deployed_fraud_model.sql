-- deployed_fraud_model: the fraud model the job should score with, as the registry holds it.
--
-- Computes: the registry row of the fraud model whose status is 'deployed' (the newest, should
--   a failed rollout have left two): version, model_path, model_sha256.
-- Input: model_registry (sql/warehouse/model_registry.sql).
-- Output: at most one row; none before the first model is deployed.
-- Parameters: none. runners/ml/fraud_model.py's deployed_model runs it through the warehouse
--   connection's hook, for the training DAG's gate and rollout and fraud_detection_ops' restart.
-- Runs in: PostgreSQL or DuckDB.

SELECT
    version,
    model_path,
    model_sha256
FROM model_registry
WHERE model_name = 'fraud_detection' AND status = 'deployed'
ORDER BY created_at DESC
LIMIT 1
