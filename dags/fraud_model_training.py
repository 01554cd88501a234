"""fraud_model_training: every day, train the fraud model on the features the job logged, gate
it against the deployed one on later held-out data, register it, and roll it out to the job.

build_training_set (the Spark SQL files of sql/spark/fraud: the feature log joined with the
labels known by the run's time, split by time) -> train_model (gradient-boosted trees, exported to
ONNX under models_path with its sha256) -> validate_model (on the held-out range, at the score
the job alerts above: precision, recall, F1 and PR-AUC of the new model, of the deployed one on
the same rows, and of each rule; branch on the gate) -> approve_model or reject_model ->
update_model_registry (SQL; the row commits before any rollout) -> deploy_model (the file
checked; on a cluster where the job runs: stop it with a savepoint, submit it again from the
savepoint with the new model; if that submission fails, submit it again with the deployed
model, so the job never stays down) -> mark_deployed (SQL: this version 'deployed', the one
before 'retired') -> send_success_notification. A rejected model leaves the job on the
deployed version, and the notification says so. generate_daily_report is a teardown.

The gate: the held-out F1 reaches min_f1, and is not below the deployed model's F1 on the same
rows by more than max_f1_drop.

Connections: the warehouse_conn_id parameter's (model_registry; ml_metadata by default),
spark_conn_id's when set, slack_webhook (optional). Locations are the active profile's; the
jobmanager parameter (FLINK_JOBMANAGER) names the cluster whose job is rolled out, if any.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.sdk import Param, TriggerRule, dag, task, teardown

from runners import CHECKOUT
from runners.engines import sqlscript
from runners.engines.warehouse import sql_string
from runners.profiles import location

MODEL_NAME = "fraud_detection"
# The score above which the job alerts (sql/flink/model_score.sql): the metrics are the job's.
ALERT_ABOVE = float(sqlscript.load(CHECKOUT / "sql" / "flink" / "model_score.sql")
                    .params["min_model_score"])
# The rules whose precision and recall stand beside the model's.
RULES = ("HIGH_VELOCITY", "UNUSUAL_AMOUNT", "IMPOSSIBLE_TRAVEL", "SUSPICIOUS_SEQUENCE",
         "SUSPICIOUS_MERCHANT")

# The gate: the F1 a model must reach, and how far below the deployed model's it may fall.
MIN_F1 = 0.5  # mutants: gate
MAX_F1_DROP = 0.0  # mutants: gate


def passes_gate(f1: float, deployed_f1: float | None, min_f1: float,
                max_f1_drop: float) -> bool:
    """F1 at the gate passes; so does an F1 exactly max_f1_drop under the deployed one's."""
    reaches = f1 >= min_f1  # mutants: gate
    not_worse = deployed_f1 is None or f1 >= deployed_f1 - max_f1_drop  # mutants: gate
    return reaches and not_worse


def registry_hook(conn_id: str):
    from airflow.providers.common.sql.hooks.sql import DbApiHook
    from airflow.sdk import BaseHook

    hook = BaseHook.get_connection(conn_id).get_hook()
    assert isinstance(hook, DbApiHook), f"{conn_id} is not a database connection"
    return hook


def alert_types(params) -> dict[str, set[str]]:
    """transaction id -> the types of its combined alerts: the files of the local profile's
    alert_history, or the warehouse's fraud_alerts (the platform's); empty before any alert."""
    import json

    from runners.profiles import active_profile, value_of

    found: dict[str, set[str]] = {}
    if value_of(active_profile().vars, "flink_connectors") == "files":
        folder = Path(location("alerts_path")) / "alert_history"
        rows = [json.loads(line) for f in sorted(folder.rglob("*")) if f.is_file()
                and not f.name.startswith((".", "_")) for line in f.read_text().splitlines()
                if line.strip()] if folder.is_dir() else []
        pairs = [(r["transaction_id"], r["alert_type"]) for r in rows]
    else:
        hook = registry_hook(params["warehouse_conn_id"])
        pairs = hook.get_records("SELECT transaction_id, alert_type FROM fraud_alerts")
    for transaction_id, types in pairs:
        found.setdefault(transaction_id, set()).update(types.split(","))
    return found


@dag(
    dag_id="fraud_model_training",
    description="Train the fraud model on the logged features, gate it, roll it out to the job",
    schedule="0 3 * * *",
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    tags=["ml", "fraud", "flink"],
    default_args={
        "owner": "data-science-team",
        "retries": int(os.environ.get("SQLPLATFORM_TASK_RETRIES", "2")),
        "retry_delay": dt.timedelta(minutes=5),
        "execution_timeout": dt.timedelta(hours=2),
    },
    params={
        "min_f1": Param(MIN_F1, type="number", description="the F1 a model must reach"),
        "max_f1_drop": Param(MAX_F1_DROP, type="number",
                             description="how far under the deployed model's F1 it may be"),
        "jobmanager": Param(os.environ.get("FLINK_JOBMANAGER", ""), type="string",
                            description="host:port of the cluster running the fraud job; "
                                        "empty: no job to roll out (the next start reads the "
                                        "registry)"),
        "job_name": Param("fraud_detection", type="string"),
        "profile": Param(os.environ.get("SQLPLATFORM_PROFILE", "platform"), type="string",
                         description="the job's profile, for its resubmission"),
        "savepoint_dir": Param("", type="string", description="where the rollout's savepoint "
                               "goes; empty: the profile's execution.checkpointing.dir"),
        "job_vars": Param({}, type="object", description="--var NAME=VALUE of the job, as "
                          "first submitted (topics, consumer group)"),
        "spark_conn_id": Param("", type="string",
                               description="a connection whose host is the Spark master"),
        "warehouse_conn_id": Param("ml_metadata", type="string",
                                   description="the warehouse holding model_registry"),
    },
    template_searchpath=[str(CHECKOUT / "sql")],
    user_defined_macros={"sql_string": sql_string},
    doc_md=__doc__,
)
def fraud_model_training():
    @task
    def build_training_set(params=None, ds=None) -> str:
        """The Spark SQL files of sql/spark/fraud, as of the start of the run's day (UTC)."""
        from runners.engines.spark_folder import run_folder

        run_folder(CHECKOUT / "sql" / "spark" / "fraud", {"as_of": f"{ds} 00:00:00"},
                   params["spark_conn_id"], "the training set")
        return f"{location('lake_path')}/fraud_training_set"

    @task(multiple_outputs=True)
    def train_model(ts_nodash=None) -> dict[str, str]:
        from runners.ml import fraud_model

        rows = fraud_model.read_training_set(location("lake_path"))
        model = fraud_model.train(fraud_model.split(rows, "train"))
        version = ts_nodash
        path, checksum = fraud_model.export_versioned(
            model, Path(location("models_path")) / MODEL_NAME / version, version)
        return {"version": version, "model_path": str(path), "model_sha256": checksum}

    @task.branch
    def validate_model(params=None, ti=None) -> str:
        from runners.ml import fraud_model

        holdout = fraud_model.split(fraud_model.read_training_set(location("lake_path")),
                                    "holdout")
        labels = holdout[fraud_model.LABEL].tolist()
        trained = {"model_path": ti.xcom_pull(task_ids="train_model", key="model_path"),
                   "model_sha256": ti.xcom_pull(task_ids="train_model", key="model_sha256"),
                   "version": ti.xcom_pull(task_ids="train_model", key="version")}
        fraud_model.check_file(trained)
        metrics = {"model": fraud_model.metrics(
            labels, fraud_model.scores(trained["model_path"], holdout), ALERT_ABOVE)}
        deployed = fraud_model.deployed_model(registry_hook(params["warehouse_conn_id"]))
        if deployed:
            fraud_model.check_file(deployed)  # the gate compares with the file, as deployed
            metrics["deployed"] = {"version": deployed["version"], **fraud_model.metrics(
                labels, fraud_model.scores(deployed["model_path"], holdout), ALERT_ABOVE)}
        metrics["rules"] = fraud_model.rule_metrics(holdout, alert_types(params), RULES)
        print(f"held-out metrics: {metrics}")
        ti.xcom_push(key="metrics", value=metrics)
        ti.xcom_push(key="deployed_version", value=deployed["version"] if deployed else None)
        deployed_f1 = metrics["deployed"]["f1"] if deployed else None
        return "approve_model" if passes_gate(metrics["model"]["f1"], deployed_f1,
                                              params["min_f1"], params["max_f1_drop"]) \
            else "reject_model"

    @task
    def approve_model() -> str:
        return "approved"

    @task
    def reject_model(params=None, ds=None, ti=None) -> str:
        from runners.report.notify import notify

        metrics = ti.xcom_pull(task_ids="validate_model", key="metrics")
        deployed = ti.xcom_pull(task_ids="validate_model", key="deployed_version")
        notify("model_performance_alert",
               f":warning: The fraud model of {ds} did not pass the gate (F1 at least "
               f"{params['min_f1']}, at most {params['max_f1_drop']} under the deployed "
               f"model's): held-out F1 {metrics['model']['f1']:.4f}"
               + (f" against {metrics['deployed']['f1']:.4f}" if deployed else "")
               + ". The job stays on "
               + (f"the deployed model {deployed}." if deployed else "no model."),
               outbox=location("notifications_path"))
        return "rejected"

    update_model_registry = SQLExecuteQueryOperator(
        task_id="update_model_registry",
        conn_id="{{ params.warehouse_conn_id }}",
        sql=["warehouse/model_registry.sql", "airflow/register_fraud_model.sql"],
        trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS,
    )

    @task
    def deploy_model(params=None, ti=None) -> str:
        """Roll the approved model out to the running job, keeping its state."""
        from airflow.sdk.exceptions import AirflowSkipException

        from runners.ml import fraud_rollout

        if ti.xcom_pull(task_ids="approve_model") != "approved":
            raise AirflowSkipException("the model did not pass the gate: nothing to deploy")
        new = {"version": ti.xcom_pull(task_ids="train_model", key="version"),
               "model_path": ti.xcom_pull(task_ids="train_model", key="model_path"),
               "model_sha256": ti.xcom_pull(task_ids="train_model", key="model_sha256")}
        from runners.ml import fraud_model

        deployed = fraud_model.deployed_model(registry_hook(params["warehouse_conn_id"]))
        outcome = fraud_rollout.roll_out(new, deployed, params)
        # The copy a run without the registry's row scores with (the job's defaults).
        fraud_model.publish(new, Path(location("models_path")) / MODEL_NAME / "deployed")
        return outcome

    mark_deployed = SQLExecuteQueryOperator(
        task_id="mark_deployed",
        conn_id="{{ params.warehouse_conn_id }}",
        sql="airflow/mark_fraud_model_deployed.sql",
    )

    @task
    def send_success_notification(ds=None, ti=None) -> str:
        from runners.report.notify import notify

        metrics = ti.xcom_pull(task_ids="validate_model", key="metrics")
        version = ti.xcom_pull(task_ids="train_model", key="version")
        return notify("pipeline_success",
                      f":white_check_mark: The fraud model {version} is deployed; held-out F1 "
                      f"{metrics['model']['f1']:.4f}, precision "
                      f"{metrics['model']['precision']:.4f}, recall "
                      f"{metrics['model']['recall']:.4f}.",
                      outbox=location("notifications_path"))

    @teardown
    def generate_daily_report(params=None, ds=None, ti=None) -> str:
        import json

        report = {"date": ds, "model": MODEL_NAME,
                  "version": ti.xcom_pull(task_ids="train_model", key="version"),
                  "status": (ti.xcom_pull(task_ids="deploy_model")
                             or ti.xcom_pull(task_ids="reject_model") or "not decided"),
                  "metrics": ti.xcom_pull(task_ids="validate_model", key="metrics"),
                  "gate": {"min_f1": params["min_f1"], "max_f1_drop": params["max_f1_drop"]},
                  "alert_above": ALERT_ABOVE}
        path = Path(location("reports_path")) / "fraud" / f"{ds}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
        return str(path)

    features = build_training_set()
    model = train_model()
    branch = validate_model()
    approved = approve_model()
    rejected = reject_model()
    deployed = deploy_model()
    marked = mark_deployed
    success = send_success_notification()
    report = generate_daily_report()

    features >> model >> branch >> [approved, rejected]
    [approved, rejected] >> update_model_registry >> deployed >> marked >> success >> report


fraud_dag = fraud_model_training()
