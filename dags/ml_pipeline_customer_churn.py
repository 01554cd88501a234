"""ml_pipeline_customer_churn: the seed's daily churn pipeline, doing the work it only pretends to.

check_data_availability -> data_quality_checks (common-sql checks on the raw Parquet, through
DuckDB) -> process_churn_data (the Spark SQL files in sql/spark/churn; replaces the seed's EMR
create/wait/terminate) -> train_model (the seed's RandomForestClassifier, really fitted, saved
with its sha256) -> validate_model (holdout metrics; branch on f1 >= min_f1) -> approve_model or
alert_poor_performance -> update_model_registry (SQL; status says which happened) ->
deploy_model (only once the registry row committed, and only if approved) ->
send_success_notification (only after a deployment). cleanup and generate_daily_report are
teardowns: they always run, and a run in which anything failed still ends failed.

Connections: lake_sql (DuckDB, in memory: reads the raw Parquet for the checks; the
lake_sql_conn_id parameter names another); ml_metadata
(the warehouse holding model_registry: DuckDB or PostgreSQL; the warehouse_conn_id parameter
names another); slack_webhook (optional: without it notifications are recorded in the
profile's notifications_path); and spark_conn_id's connection when that parameter is set (its
host is the Spark master; otherwise Spark runs locally).
runners/services/airflow_local.py sets up the local defaults.

Locations (lake_path, models_path, reports_path, notifications_path) are the active profile's
(runners/profiles.py: SQLPLATFORM_PROFILE, else local); the parameters are the run's own.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from airflow.providers.common.sql.operators.sql import (
    SQLColumnCheckOperator,
    SQLExecuteQueryOperator,
    SQLTableCheckOperator,
)
from airflow.sdk import Param, TriggerRule, dag, task, task_group, teardown

from runners import CHECKOUT
from runners.engines import sqlscript
from runners.engines.checks import column_mapping, table_statements
from runners.engines.churn_sources import DECLARATION, raw_sources
from runners.engines.warehouse import sql_string
from runners.profiles import location

MODEL_NAME = "churn_prediction"
LAKE_SQL = "{{ params.lake_sql_conn_id }}"

# The raw sources and their checks, as sql/spark/churn/churn_sources.sql declares them.
RAW_SOURCES = raw_sources()
RAW_PARAMS = sqlscript.load(DECLARATION).params  # max_null_rate, for the checks' arguments
SOURCES = tuple(RAW_SOURCES)


def raw_table(source: str) -> str:
    """The DuckDB table expression of one day of a source, for the check operators."""
    return f"read_parquet('{{{{ location('lake_path') }}}}/raw/{source}/{{{{ ds }}}}/*.parquet')"


def raw_checks(source: str) -> tuple[dict, dict]:
    """The SQLTableCheckOperator checks (rows > 0, and the source's row and null-rate checks)
    and the SQLColumnCheckOperator column_mapping of a source, from its @check lines. Every
    source must have rows: a min or max check on an empty table reads NULL and passes, so
    row_count guards the others."""
    checks = list(RAW_SOURCES[source].checks)
    return ({"row_count": {"check_statement": "count(*) > 0"},
             **table_statements(checks, RAW_PARAMS)}, column_mapping(checks, RAW_PARAMS))


# The seed's deployment gate: a model is deployed when its holdout f1 reaches this.
MIN_F1 = 0.75  # mutants: gate


def passes_gate(f1: float, min_f1: float) -> bool:
    """The seed's comparison: an f1 exactly at the gate passes."""
    return f1 >= min_f1  # mutants: gate


@dag(
    dag_id="ml_pipeline_customer_churn",
    description="End-to-end ML pipeline for customer churn prediction",
    schedule="0 2 * * *",
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    tags=["ml", "production", "churn"],
    default_args={
        "owner": "data-science-team",
        "depends_on_past": False,
        # The seed's 2 retries; SQLPLATFORM_TASK_RETRIES=0 lets a test see a failure at once.
        "retries": int(os.environ.get("SQLPLATFORM_TASK_RETRIES", "2")),
        "retry_delay": dt.timedelta(minutes=5),
        "execution_timeout": dt.timedelta(hours=4),
    },
    params={
        "min_f1": Param(MIN_F1, type="number", description="the deployment gate"),
        "spark_conn_id": Param("", type="string",
                               description="a connection whose host is the Spark master; "
                                           "empty: local Spark"),
        "lake_conn_id": Param("", type="string",
                              description="a connection for an object-store lake_path"),
        "warehouse_conn_id": Param("ml_metadata", type="string",
                                   description="the warehouse holding model_registry"),
        "lake_sql_conn_id": Param("lake_sql", type="string",
                                  description="the DuckDB connection the raw-data checks use"),
    },
    template_searchpath=[str(CHECKOUT / "sql")],
    user_defined_macros={"sql_string": sql_string, "location": location},
    doc_md=__doc__,
)
def ml_pipeline_customer_churn():
    @task
    def check_data_availability(params=None, ds=None) -> list[str]:
        """Every source has files for the day; otherwise fail, naming the missing ones."""
        from airflow.sdk import ObjectStoragePath

        conn_id = params["lake_conn_id"] or None
        root = location("lake_path")
        if "://" not in root:
            root = f"file://{Path(root).resolve()}"
        missing = []
        for source in SOURCES:
            folder = ObjectStoragePath(f"{root}/raw/{source}/{ds}/", conn_id=conn_id)
            if not folder.exists() or not any(p.name.endswith(".parquet")
                                              for p in folder.iterdir()):
                missing.append(f"raw/{source}/{ds}/")
        if missing:
            raise FileNotFoundError(f"missing data sources under {location('lake_path')}: "
                                    + ", ".join(missing))
        return list(SOURCES)

    @task_group
    def data_quality_checks():
        for source in SOURCES:
            statements, mapping = raw_checks(source)
            rows = SQLTableCheckOperator(task_id=f"{source}_table", conn_id=LAKE_SQL,
                                         table=raw_table(source), checks=statements)
            columns = SQLColumnCheckOperator(task_id=f"{source}_columns", conn_id=LAKE_SQL,
                                             table=raw_table(source), column_mapping=mapping)
            rows >> columns

    @task
    def process_churn_data(params=None, ds=None) -> str:
        """The churn features for the day, by the Spark SQL files of sql/spark/churn."""
        from runners.engines.spark_folder import run_folder

        run_folder(CHECKOUT / "sql" / "spark" / "churn", {"snapshot_date": ds},
                   params["spark_conn_id"], "the churn features")
        return f"{location('lake_path')}/churn_features/snapshot_date={ds}"

    @task(multiple_outputs=True)
    def train_model(params=None, ds=None) -> dict[str, str]:
        from runners.ml import churn_model

        features = churn_model.read_features(location("lake_path"), ds)
        model = churn_model.train(features)
        path = Path(location("models_path")) / MODEL_NAME / ds / "model.joblib"
        checksum = churn_model.save(model, path)
        return {"model_path": str(path), "model_sha256": checksum}

    @task.branch
    def validate_model(params=None, ds=None, ti=None) -> str:
        from runners.ml import churn_model

        model = churn_model.load_verified(ti.xcom_pull(task_ids="train_model", key="model_path"),
                                          ti.xcom_pull(task_ids="train_model",
                                                       key="model_sha256"))
        metrics = churn_model.evaluate(model, churn_model.read_features(location("lake_path"), ds))
        metrics["date"] = ds
        print(f"Model metrics: {metrics}")
        ti.xcom_push(key="metrics", value=metrics)
        return "approve_model" if passes_gate(metrics["f1_score"], params["min_f1"]) else \
            "alert_poor_performance"

    @task
    def approve_model() -> str:
        """The passing side of the gate: the status the registry records before the model is
        deployed."""
        return "deployed"

    @task
    def deploy_model(params=None, ti=None) -> str:
        """Publish the verified model as the deployed one, atomically. It runs after the
        registry committed the model's row, so no model is deployed that the registry does not
        hold; on the rejected side of the gate it skips."""
        import shutil

        from airflow.sdk.exceptions import AirflowSkipException

        from runners.ml import churn_model

        if ti.xcom_pull(task_ids="approve_model") != "deployed":
            raise AirflowSkipException("the model did not pass the gate: nothing to deploy")

        path = ti.xcom_pull(task_ids="train_model", key="model_path")
        checksum = ti.xcom_pull(task_ids="train_model", key="model_sha256")
        churn_model.load_verified(path, checksum)  # refuses a file changed since training
        deployed = Path(location("models_path")) / MODEL_NAME / "deployed" / "model.joblib"
        deployed.parent.mkdir(parents=True, exist_ok=True)
        staged = deployed.with_name(".model.joblib.tmp")
        shutil.copyfile(path, staged)
        staged.with_name(".sha256.tmp").write_text(f"{checksum}  model.joblib\n")
        os.replace(staged.with_name(".sha256.tmp"), deployed.with_name("model.joblib.sha256"))
        os.replace(staged, deployed)
        return "deployed"

    @task
    def alert_poor_performance(params=None, ds=None, ti=None) -> str:
        from runners.report.notify import notify

        metrics = ti.xcom_pull(task_ids="validate_model", key="metrics")
        notify("model_performance_alert",
               f":warning: The churn prediction model for {ds} did not meet the f1 gate "
               f"({params['min_f1']}). Metrics: {metrics}. Please review the model and data.",
               outbox=location("notifications_path"))
        return "rejected"

    update_model_registry = SQLExecuteQueryOperator(
        task_id="update_model_registry",
        conn_id="{{ params.warehouse_conn_id }}",
        sql=["warehouse/model_registry.sql", "airflow/register_model.sql"],
        trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS,
    )

    @task
    def send_success_notification(params=None, ds=None, ti=None) -> str:
        from runners.report.notify import notify

        metrics = ti.xcom_pull(task_ids="validate_model", key="metrics")
        return notify("pipeline_success",
                      f":white_check_mark: The churn prediction pipeline for {ds} deployed a "
                      f"new model. Metrics: {metrics}",
                      outbox=location("notifications_path"))

    @teardown
    def cleanup(params=None, ds=None) -> None:
        """Remove what a failed run may have left half-written: staged model copies."""
        for leftover in (Path(location("models_path")) / MODEL_NAME).glob("*/.*.tmp"):
            leftover.unlink()

    @teardown
    def generate_daily_report(params=None, ds=None, ti=None) -> str:
        import json

        metrics = ti.xcom_pull(task_ids="validate_model", key="metrics")
        status = (ti.xcom_pull(task_ids="deploy_model")
                  or ti.xcom_pull(task_ids="alert_poor_performance") or "not decided")
        report = {"date": ds, "model": MODEL_NAME, "status": status, "metrics": metrics,
                  "min_f1": params["min_f1"],
                  "model_path": ti.xcom_pull(task_ids="train_model", key="model_path")}
        path = Path(location("reports_path")) / "churn" / f"{ds}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
        return str(path)

    available = check_data_availability()
    checks = data_quality_checks()
    features = process_churn_data()
    model = train_model()
    branch = validate_model()
    approved = approve_model()
    deployed = deploy_model()
    alerted = alert_poor_performance()
    success = send_success_notification()
    cleaned = cleanup()
    report = generate_daily_report()

    available >> checks >> features >> model >> branch >> [approved, alerted]
    # The registry row commits before the model is deployed (deploy_model skips on rejection).
    [approved, alerted] >> update_model_registry >> deployed >> success
    success >> cleaned >> report


churn_dag = ml_pipeline_customer_churn()
