"""Rolling a new fraud model out to the running platform job, in the middle of a stream.

The job runs on a standalone Flink cluster (the wheel's start-cluster.sh), reads Kafka and
writes Kafka and PostgreSQL, as deployed. runners/ml/fraud_rollout.py, the training DAG's
deploy_model, then:
  1. tries a model whose features are not the job's: the submission is refused with one line
     naming the file, and the job is back, from the same savepoint, on the deployed model;
  2. rolls out test-2: stop with a savepoint, submit again from it with the new model.
Expected (tests/flink/seed_rules.py and model_reference.py): every valid transaction scored
once, in the feature log and the warehouse, by test-1 before one point in event time and by
test-2 after it, each score that version's own; and every alert once, on Kafka and in the
warehouse, the model's by the version that scored the transaction, the rules' as if the job had
never stopped (their state came through both savepoints).
"""

from __future__ import annotations

import os
import time
import uuid

import pytest

from runners.engines import flink_cluster as cluster_api
from runners.ml import fraud_model, fraud_rollout
from runners.sample_data.generate_transactions import Rates, events
from tests.flink import seed_rules
from tests.flink.conftest import flink_rest
from tests.flink.harness import read_sink
from tests.flink.model_reference import Model, feature_rows, features, fraud_test_model
from tests.flink.platform_io import (
    consume_committed,
    create_job_topics,
    produce_lines,
    warehouse_rows,
)
from tests.flink.platform_job import closing_line
from tests.flink.test_fraud_end_to_end import alert_set

pytestmark = pytest.mark.postgres
JOBMANAGER = "127.0.0.1:8081"


def registry_row(model: Model) -> dict[str, str]:
    return {"version": model.version, "model_path": str(model.path),
            "model_sha256": model.sha256}


def scores_in_warehouse(warehouse) -> dict[str, tuple[float, str]]:
    connection, schema, _ = warehouse
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT transaction_id, fraud_score, model_version "
                       f"FROM {schema}.fraud_scores")
        return {t: (s, v) for t, s, v in cursor.fetchall()}


def wait_until(condition, what: str, seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} after {seconds:.0f} s")
        time.sleep(1)


@pytest.fixture(scope="module")
def wrong_model(tmp_path_factory) -> Model:
    """A model of 3 features: not the job's 12."""
    import numpy as np
    from skl2onnx import to_onnx
    from sklearn.tree import DecisionTreeClassifier

    x = np.random.default_rng(3).normal(size=(200, 3)).astype(np.float32)
    tree = DecisionTreeClassifier(max_depth=2).fit(x, x[:, 0] > 0)
    path = tmp_path_factory.mktemp("wrong") / "model.onnx"
    path.write_bytes(to_onnx(tree, x[:1], options={id(tree): {"zipmap": False}},
                             target_opset={"": 17, "ai.onnx.ml": 3}).SerializeToString())
    return Model(path, "wrong-1", fraud_model.sha256_of(path))


@pytest.fixture(scope="module")
def rolled_out(flink_cluster, broker, warehouse, wrong_model, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rollout")
    topic = f"rollout-{uuid.uuid4().hex[:8]}"
    create_job_topics(topic, partitions=1)
    # No late lines: a restored job's watermark starts again from its first records
    # (test_platform_faults.py says why); ties stay, the job runs at parallelism 1.
    stream = [line for _, line, _ in events(3_000, users=40, seed=13, rates=Rates(late=0))]
    stream.append(closing_line(stream))
    first, second = fraud_test_model("test-1"), fraud_test_model("test-2")
    job_vars = {"transactions_topic": topic, "alerts_topic": f"{topic}-alerts",
                "consumer_group": topic, "feature_log_roll": "2 s"}
    environment = {"KAFKA_BOOTSTRAP": broker, "FRAUD_JDBC_URL": warehouse[2],
                   "FLINK_CHECKPOINT_DIR": (tmp / "checkpoints").as_uri(),
                   "FLINK_CHECKPOINT_INTERVAL": "2 s", "FLINK_PARALLELISM": "1",
                   "KAFKA_BOUNDED_MODE": "unbounded", "LAKE_PATH": str(tmp / "lake")}
    saved = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)  # what the submissions' runner reads, as on a worker
    params = {"jobmanager": JOBMANAGER, "job_name": "fraud_detection", "profile": "platform",
              "savepoint_dir": (tmp / "checkpoints").as_uri(), "job_vars": job_vars}
    thirds = [stream[:1000], stream[1000:2000], stream[2000:]]
    try:
        produce_lines(broker, topic, thirds[0])
        first_job = cluster_api.submit(
            JOBMANAGER, "platform", {**job_vars, **fraud_model.job_variables(registry_row(first))})
        wait_until(lambda: len(scores_in_warehouse(warehouse)) > 600, "scores of test-1")
        with pytest.raises(RuntimeError) as refused:
            fraud_rollout.roll_out(registry_row(wrong_model), registry_row(first), params)
        produce_lines(broker, topic, thirds[1])
        wait_until(lambda: len(scores_in_warehouse(warehouse)) > 1600, "scores after refusal")
        assert fraud_rollout.roll_out(registry_row(second), registry_row(first), params) \
            == "deployed"
        produce_lines(broker, topic, thirds[2])
        reference = scored(stream)
        wait_until(lambda: set(scores_in_warehouse(warehouse)) >= set(reference),
                   "a score for every transaction")
        cut = cut_of(scores_in_warehouse(warehouse), reference)
        expected = seed_rules.expected_of_job(stream, switching_alerts(first, second, cut))
        wait_until(lambda: len(warehouse_rows(warehouse)) >= len(expected["alert_history"]),
                   "every combined alert in the warehouse")
        log = tmp / "lake" / "fraud_features"
        wait_until(lambda: len(read_sink(log)) >= len(reference), "the whole feature log")
        jobs = [j for j in flink_rest("/jobs/overview")["jobs"] if j["state"] == "RUNNING"]
        yield {"lines": stream, "topic": topic, "refused": str(refused.value), "tmp": tmp,
               "first_job": first_job, "running": jobs, "models": (first, second),
               "cut": cut, "expected": expected}
    finally:
        for job in flink_rest("/jobs/overview")["jobs"]:
            if job["state"] == "RUNNING":
                cluster_api.rest(JOBMANAGER, f"/jobs/{job['jid']}?mode=cancel", "PATCH")
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def scored(lines: list[str]) -> dict[str, dict]:
    """The reference features of the transactions the job has scored: all but the closing line,
    which waits for a watermark past it (the stream is unbounded)."""
    return {t: row for t, row in feature_rows(lines).items() if t != "T-closing"}


def cut_of(scores: dict[str, tuple[float, str]], reference: dict[str, dict]) -> int:
    """The event time from which test-2 scored; every transaction before it was test-1's."""
    times = {v: [reference[t]["transaction_time"] for t, (_, version) in scores.items()
                 if version == v] for v in ("test-1", "test-2")}
    assert max(times["test-1"]) < min(times["test-2"])
    return min(times["test-2"])


def test_a_model_with_other_features_is_refused_and_the_job_keeps_its_model(rolled_out):
    message = rolled_out["refused"]
    assert "\n" not in message
    assert "rolling out wrong-1 failed, and the job runs test-1 again" in message
    assert "takes 3 features, and the model's INPUT has 12" in message


def test_every_transaction_is_scored_once_by_one_version_then_the_next(rolled_out, warehouse):
    reference = scored(rolled_out["lines"])
    scores = scores_in_warehouse(warehouse)
    assert set(scores) == set(reference)
    cut = rolled_out["cut"]
    first, second = rolled_out["models"]
    by_model = {}
    for model in (first, second):
        ids = sorted(reference)
        by_model[model.version] = dict(zip(ids, model.scores([reference[i] for i in ids]),
                                           strict=True))
    assert {t: s for t, (s, _) in scores.items()} \
        == {t: by_model["test-1" if reference[t]["transaction_time"] < cut else "test-2"][t]
            for t in reference}
    assert {v for _, v in scores.values()} == {"test-1", "test-2"}


def test_the_feature_log_holds_each_transaction_once(rolled_out):
    logged = read_sink(rolled_out["tmp"] / "lake" / "fraud_features")
    ids = [row["transaction_id"] for row in logged]
    assert len(ids) == len(set(ids)) and set(ids) == set(scored(rolled_out["lines"]))


def switching_alerts(first: Model, second: Model, cut: int):
    """The model alerts of a history: test-1's before the cut, test-2's from it."""
    def alerts_of(history: list[dict]) -> list[dict]:
        rows = features(history)
        before = [(t, r) for t, r in zip(history, rows, strict=True) if t["timestamp"] < cut]
        after = [(t, r) for t, r in zip(history, rows, strict=True) if t["timestamp"] >= cut]
        found = []
        for model, part in ((first, before), (second, after)):
            scores = model.scores([r for _, r in part])
            found += [seed_rules.alert(t, "MODEL_SCORE", f"Fraud model {model.version} scored "
                                       f"{seed_rules.java_format(s, 2)}", s, t["timestamp"])
                      for (t, _), s in zip(part, scores, strict=True) if s > model.min_score]
        return found
    return alerts_of


def test_every_alert_once_on_kafka_and_in_the_warehouse(rolled_out, broker, warehouse):
    expected = rolled_out["expected"]
    topic = rolled_out["topic"]
    for sink, got in (("fraud_alerts", consume_committed(broker, f"{topic}-alerts")),
                      ("detector_alerts",
                       consume_committed(broker, f"{topic}-alerts-by-detector", 1))):
        assert alert_set(got) == alert_set(expected[sink]), sink
        assert len(got) == len(expected[sink]), sink
    rows = warehouse_rows(warehouse)
    assert alert_set(rows) == alert_set(expected["alert_history"])
    assert len(rows) == len(expected["alert_history"])
    assert any("MODEL_SCORE" in r["alertType"] and "test-2" in r["reason"] for r in rows)


def test_one_job_runs_on_after_the_rollouts(rolled_out):
    running = rolled_out["running"]
    assert [j["name"] for j in running] == ["fraud_detection"]
    assert running[0]["jid"] != rolled_out["first_job"]
