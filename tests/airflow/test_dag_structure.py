"""Every DAG imports without errors, keeps the seed's settings, and has exactly its graph."""

from __future__ import annotations

import pytest

CHURN = "ml_pipeline_customer_churn"
SOURCES = ("customer_data", "transactions", "support_tickets", "product_usage")


@pytest.fixture(scope="module")
def dags(local_airflow) -> dict:
    described = local_airflow.describe()
    assert described["import_errors"] == {}
    print("parse seconds per file:", described["parse_seconds"])
    return described["dags"]


def edges(dag: dict) -> set[tuple[str, str]]:
    return {(task, down) for task, spec in dag["tasks"].items() for down in spec["downstream"]}


def test_churn_keeps_the_seeds_settings(dags):
    dag = dags[CHURN]
    assert (dag["schedule"], dag["catchup"], dag["max_active_runs"], dag["tags"]) == \
        ("0 2 * * *", False, 1, ["churn", "ml", "production"])
    assert (dag["retries"], dag["retry_delay_s"], dag["execution_timeout_s"]) == (2, 300, 14400)


def test_churn_graph(dags):
    checks = {f"data_quality_checks.{s}_table" for s in SOURCES}
    column_checks = {f"data_quality_checks.{s}_columns" for s in SOURCES}
    expected = {("check_data_availability", check) for check in checks}
    expected |= {(f"data_quality_checks.{s}_table", f"data_quality_checks.{s}_columns")
                 for s in SOURCES}
    expected |= {(check, "process_churn_data") for check in column_checks}
    expected |= {
        ("process_churn_data", "train_model"),
        ("train_model", "validate_model"),
        ("validate_model", "approve_model"),
        ("validate_model", "alert_poor_performance"),
        ("approve_model", "update_model_registry"),
        ("alert_poor_performance", "update_model_registry"),
        # The registry row commits before the model is deployed.
        ("update_model_registry", "deploy_model"),
        ("deploy_model", "send_success_notification"),
        ("send_success_notification", "cleanup"),
        ("cleanup", "generate_daily_report"),
    }
    assert edges(dags[CHURN]) == expected


def test_churn_trigger_rules_and_teardowns(dags):
    tasks = dags[CHURN]["tasks"]
    special = {task: (spec["trigger_rule"], spec["teardown"]) for task, spec in tasks.items()
               if spec["trigger_rule"] != "all_success" or spec["teardown"]}
    assert special == {
        "update_model_registry": ("none_failed_min_one_success", False),
        # Teardowns run whatever happened upstream, and do not decide the run's state.
        "cleanup": ("all_done_setup_success", True),
        "generate_daily_report": ("all_done_setup_success", True),
    }


def test_fraud_ops_graph(dags):
    dag = dags["fraud_detection_ops"]
    assert edges(dag) == {("check_flink_job_health", "job_is_healthy"),
                          ("check_flink_job_health", "restart_fraud_job"),
                          ("job_is_healthy", "record_job_status"),
                          ("restart_fraud_job", "record_job_status")}
    # A teardown without setups: it runs once both branches are done, whatever they did, and
    # does not decide the run's state (a failed restart is recorded, and the run fails).
    record = dag["tasks"]["record_job_status"]
    assert (record["trigger_rule"], record["teardown"]) == ("all_done_setup_success", True)
    assert dag["max_active_runs"] == 1 and not dag["catchup"]


def test_fraud_model_training_graph(dags):
    dag = dags["fraud_model_training"]
    assert edges(dag) == {
        ("build_training_set", "train_model"),
        ("train_model", "validate_model"),
        ("validate_model", "approve_model"),
        ("validate_model", "reject_model"),
        ("approve_model", "update_model_registry"),
        ("reject_model", "update_model_registry"),
        # The registry row commits before the rollout; the rollout before the row says so.
        ("update_model_registry", "deploy_model"),
        ("deploy_model", "mark_deployed"),
        ("mark_deployed", "send_success_notification"),
        ("send_success_notification", "generate_daily_report"),
    }
    special = {task: (spec["trigger_rule"], spec["teardown"])
               for task, spec in dag["tasks"].items()
               if spec["trigger_rule"] != "all_success" or spec["teardown"]}
    assert special == {
        "update_model_registry": ("none_failed_min_one_success", False),
        "generate_daily_report": ("all_done_setup_success", True),
    }
    assert (dag["schedule"], dag["catchup"], dag["max_active_runs"]) == ("0 3 * * *", False, 1)
