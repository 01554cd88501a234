"""dag.test() runs of ml_pipeline_customer_churn on real Spark and the embedded warehouse.

Each run gets its own lake, model store and notification outbox; the warehouse is the module's
DuckDB file. Covered: the path that passes the F1 gate (its Spark a standalone cluster named
by the spark_conn_id connection), the path that fails it by one step (the same data, the gate
0.0001 above its f1; local Spark), a failing task
(a missing source) that must fail the run while the teardowns still run, and a missing
connection, which must be named.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest

from runners.ml import churn_model
from runners.sample_data.generate_churn import generate, source_folder

CHURN = "ml_pipeline_customer_churn"
DATE = "2026-01-01"
# The model's f1 on the holdout of generate(..., 2026-01-01, 5000), counted in
# test_the_registry_holds_the_real_metrics_and_checksum. The passing run's gate is set to
# exactly this, so it deploys only if the gate is f1 >= min_f1 (the seed's comparison).
SAMPLE_F1 = 0.8162
CHECKS = [f"data_quality_checks.{source}_{kind}" for source in
          ("customer_data", "transactions", "support_tickets", "product_usage")
          for kind in ("table", "columns")]


def params_for(root: Path, **overrides) -> dict:
    return {"lake_path": str(root / "lake"), "models_path": str(root / "models"),
            "reports_path": str(root / "reports"),
            "notifications_path": str(root / "notifications.jsonl"), **overrides}


def registry(local_airflow) -> list[tuple]:
    import duckdb

    with duckdb.connect(str(local_airflow.root / "warehouse.duckdb"), read_only=True) as con:
        return con.sql("SELECT version, status, metrics, model_path, model_sha256 "
                       "FROM model_registry ORDER BY version").fetchall()


def notifications(root: Path) -> list[str]:
    path = root / "notifications.jsonl"
    return [json.loads(line)["event"] for line in path.read_text().splitlines()] \
        if path.exists() else []


def states(outcome: dict, *tasks: str) -> dict[str, str]:
    return {task: outcome["tasks"][task] for task in tasks}


@pytest.fixture(scope="module")
def passing_run(local_airflow, tmp_path_factory, spark_cluster):
    """On a standalone Spark cluster named by a connection; the other runs use local Spark."""
    root = tmp_path_factory.mktemp("passing")
    generate(root / "lake", dt.date.fromisoformat(DATE), 5000)
    local_airflow.env["AIRFLOW_CONN_SPARK_CLUSTER"] = json.dumps(
        {"conn_type": "spark", "host": spark_cluster.url})
    outcome, log = local_airflow.run(CHURN, DATE, params_for(
        root, spark_conn_id="spark_cluster", min_f1=SAMPLE_F1))
    return root, outcome, log




def test_the_passing_path_deploys(passing_run):
    root, outcome, log = passing_run
    assert outcome["state"] == "success", log[-5000:]
    assert all(outcome["tasks"][check] == "success" for check in CHECKS)
    assert states(outcome, "process_churn_data", "train_model", "validate_model",
                  "approve_model", "deploy_model", "alert_poor_performance",
                  "update_model_registry", "send_success_notification", "cleanup",
                  "generate_daily_report") == {
        "process_churn_data": "success", "train_model": "success",
        "validate_model": "success", "approve_model": "success", "deploy_model": "success",
        "alert_poor_performance": "skipped", "update_model_registry": "success",
        "send_success_notification": "success", "cleanup": "success",
        "generate_daily_report": "success"}
    assert notifications(root) == ["pipeline_success"]


def test_the_features_were_built_on_the_cluster(passing_run, spark_cluster):
    status = spark_cluster.status()
    assert [(app["name"], app["state"]) for app in status["completedapps"]] == \
        [("sqlplatform", "FINISHED")]
    assert status["activeapps"] == []


def test_the_registry_holds_the_real_metrics_and_checksum(local_airflow, passing_run):
    root, _, _ = passing_run
    [(version, status, metrics, model_path, sha256)] = \
        [row for row in registry(local_airflow) if row[0] == DATE]
    metrics = json.loads(metrics)
    assert (version, status) == (DATE, "deployed")
    # The metrics are the model's on the holdout, counted here from its predictions (not by
    # churn_model.evaluate, which made them): the holdout rows of the lake, the saved model.
    model = churn_model.load_verified(model_path, sha256)
    features = churn_model.read_features(root / "lake", DATE)
    holdout = features[features["split"] == "holdout"]
    predicted = model.predict(holdout[list(model.feature_names_in_)].astype(float))
    truth = holdout["churned"].astype(int).tolist()
    pairs = list(zip(truth, predicted.tolist(), strict=True))
    tp, fp = pairs.count((1, 1)), pairs.count((0, 1))
    fn, tn = pairs.count((1, 0)), pairs.count((0, 0))
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert metrics == {
        "date": DATE, "accuracy": round((tp + tn) / len(pairs), 4),
        "precision": round(precision, 4), "recall": round(recall, 4),
        "f1_score": round(2 * precision * recall / (precision + recall), 4),
        "holdout_rows": len(pairs), "holdout_churned": sum(truth)}
    assert metrics["f1_score"] == SAMPLE_F1
    # The checksum on record is the deployed file's, hashed here (not by churn_model.sha256_of,
    # which wrote it), and the registered file is byte for byte the deployed one.
    deployed = root / "models" / "churn_prediction" / "deployed" / "model.joblib"
    assert hashlib.sha256(deployed.read_bytes()).hexdigest() == sha256
    assert Path(model_path).read_bytes() == deployed.read_bytes()
    report = json.loads((root / "reports" / "churn" / f"{DATE}.json").read_text())
    assert (report["status"], report["metrics"], report["min_f1"]) == \
        ("deployed", metrics, SAMPLE_F1)


def test_a_changed_model_file_is_not_loaded(local_airflow, passing_run, tmp_path):
    _, _, _ = passing_run
    [(_, _, _, model_path, sha256)] = [r for r in registry(local_airflow) if r[0] == DATE]
    copy = tmp_path / "model.joblib"
    copy.write_bytes(Path(model_path).read_bytes() + b"\0")
    with pytest.raises(churn_model.ChecksumMismatch, match="registry recorded"):
        churn_model.load_verified(copy, sha256)


@pytest.fixture(scope="module")
def failing_gate_run(local_airflow, tmp_path_factory, passing_run):
    """The passing run's data (generated relative to its day, so the same features) with the
    gate one step above its f1: the gate's other side, and the whole rejection path."""
    root = tmp_path_factory.mktemp("failing_gate")
    generate(root / "lake", dt.date(2026, 1, 6), 5000)
    outcome, log = local_airflow.run(CHURN, "2026-01-06",
                                     params_for(root, min_f1=round(SAMPLE_F1 + 0.0001, 4)))
    return root, outcome, log


def test_an_f1_just_under_the_gate_alerts_and_registers_a_rejection(local_airflow,
                                                                     failing_gate_run):
    root, outcome, log = failing_gate_run
    assert outcome["state"] == "success", log[-5000:]  # a rejected model is an outcome
    assert states(outcome, "deploy_model", "alert_poor_performance", "update_model_registry",
                  "send_success_notification", "cleanup", "generate_daily_report") == {
        "deploy_model": "skipped", "alert_poor_performance": "success",
        "update_model_registry": "success", "send_success_notification": "skipped",
        "cleanup": "success", "generate_daily_report": "success"}
    [(status, metrics)] = [(r[1], json.loads(r[2])) for r in registry(local_airflow)
                           if r[0] == "2026-01-06"]
    assert (status, metrics["f1_score"]) == ("rejected", SAMPLE_F1)
    assert notifications(root) == ["model_performance_alert"]
    assert not (root / "models" / "churn_prediction" / "deployed").exists()


def test_a_failed_task_fails_the_run_and_the_teardowns_still_run(local_airflow,
                                                                  tmp_path_factory):
    root = tmp_path_factory.mktemp("missing_source")
    generate(root / "lake", dt.date(2026, 1, 3), 200)
    for file in source_folder(root / "lake", "support_tickets", dt.date(2026, 1, 3)).iterdir():
        file.unlink()
    outcome, log = local_airflow.run(CHURN, "2026-01-03", params_for(root))
    assert outcome["state"] == "failed"
    assert states(outcome, "check_data_availability", "train_model", "cleanup",
                  "generate_daily_report") == {
        "check_data_availability": "failed", "train_model": "upstream_failed",
        "cleanup": "success", "generate_daily_report": "success"}
    assert "missing data sources" in log and "raw/support_tickets/2026-01-03/" in log
    report = json.loads((root / "reports" / "churn" / "2026-01-03.json").read_text())
    assert report["status"] == "not decided"


def test_a_missing_connection_is_named(local_airflow, tmp_path_factory):
    root = tmp_path_factory.mktemp("missing_connection")
    generate(root / "lake", dt.date(2026, 1, 4), 300)
    outcome, log = local_airflow.run(CHURN, "2026-01-04",
                                     params_for(root, lake_sql_conn_id="no_such_lake"))
    assert outcome["state"] == "failed"
    assert outcome["tasks"]["data_quality_checks.customer_data_table"] == "failed"
    assert "no_such_lake" in log and "isn't defined" in log


def test_an_empty_source_fails_its_checks(local_airflow, tmp_path_factory):
    """The trap: a min check on an empty table reads NULL and passes; the row count does not."""
    import pyarrow.parquet as pq

    root = tmp_path_factory.mktemp("empty_source")
    day = dt.date(2026, 1, 5)
    generate(root / "lake", day, 200)
    usage = source_folder(root / "lake", "product_usage", day) / "part-00000.parquet"
    pq.write_table(pq.read_table(usage).slice(0, 0), usage)
    outcome, log = local_airflow.run(CHURN, day.isoformat(), params_for(root))
    assert outcome["state"] == "failed"
    assert states(outcome, "data_quality_checks.product_usage_table",
                  "data_quality_checks.product_usage_columns", "process_churn_data") == {
        "data_quality_checks.product_usage_table": "failed",
        "data_quality_checks.product_usage_columns": "upstream_failed",
        "process_churn_data": "upstream_failed"}
    assert "row_count" in log


@pytest.mark.postgres
def test_no_model_is_deployed_unless_its_registry_row_committed(local_airflow, tmp_path_factory,
                                                                postgres_url):
    """The registry's PostgreSQL stopped for real while a model passes the gate: the registry
    write fails, so the model is not deployed and the run fails, naming the server."""
    from runners.engines.warehouse import connection_fields
    from runners.services import local_postgres

    root = tmp_path_factory.mktemp("registry_down")
    generate(root / "lake", dt.date(2026, 1, 7), 1000)
    local_airflow.env["AIRFLOW_CONN_REGISTRY_PG"] = json.dumps(connection_fields(postgres_url))
    local_postgres.stop()
    try:
        outcome, log = local_airflow.run(CHURN, "2026-01-07", params_for(
            root, warehouse_conn_id="registry_pg", min_f1=0.0))
    finally:
        local_postgres.start()
    assert outcome["state"] == "failed"
    assert states(outcome, "approve_model", "update_model_registry", "deploy_model",
                  "send_success_notification", "generate_daily_report") == {
        "approve_model": "success", "update_model_registry": "failed",
        "deploy_model": "upstream_failed", "send_success_notification": "upstream_failed",
        "generate_daily_report": "success"}
    assert f"{local_postgres.PORT}" in log and "refused" in log
    assert not (root / "models" / "churn_prediction" / "deployed").exists()
