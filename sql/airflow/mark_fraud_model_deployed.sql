-- mark_fraud_model_deployed: after a rollout, the new fraud model is the deployed one.
--
-- Computes: the rolled-out version's status becomes 'deployed', and the one deployed before
--   becomes 'retired', in one statement: deployed_fraud_model.sql finds one row at any time.
-- Input: the run's XCom (train_model's version), rendered through sql_string.
-- Output: model_registry, updated.
-- Parameters: none; fraud_model_training's mark_deployed runs it once deploy_model succeeded.
-- Runs in: PostgreSQL or DuckDB.

UPDATE model_registry
SET
    status = CASE
        WHEN version = {{ sql_string(ti.xcom_pull(task_ids='train_model', key='version')) }}
            THEN 'deployed'
        ELSE 'retired'
    END
WHERE
    model_name = 'fraud_detection'
    AND (
        status = 'deployed'
        OR version = {{ sql_string(ti.xcom_pull(task_ids='train_model', key='version')) }}
    );
