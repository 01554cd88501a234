"""dag.test() runs of fraud_model_training on real Spark, scikit-learn, ONNX Runtime and the
embedded warehouse: the gate's two paths, the registry, and what the metrics say.

The lake holds a feature log of four days of generated transactions (the reference features,
which tests/flink/test_model_score.py shows equal to the job's), the labels table, and a
hand-made alert history for the rules' metrics. The expected metrics are computed here from
those rows: the time split restated, the registered file scored by ONNX Runtime, precision and
recall counted by hand.
  first run, as of 2026-01-10   no model deployed yet: the gate is min_f1; it deploys (no
                                running job: the registry alone says so);
  second run, as of 2026-01-11  min_f1 0.99: rejected; the first model stays deployed, the
                                notification says so, and the metrics hold the deployed
                                model's F1 on the same held-out day.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from pathlib import Path

import pytest

from runners.sample_data.generate_transactions import FRAUD, Rates, events
from tests.flink import seed_rules
from tests.flink.model_reference import NAMES, feature_rows

DAG = "fraud_model_training"
DAY_MS = 86_400_000


def millis(day: int) -> int:
    return int(dt.datetime(2026, 1, day, tzinfo=dt.UTC).timestamp() * 1000)


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> tuple[Path, dict[str, dict], set[str]]:
    """A feature log by day, the labels, and an alert history; (root, features, fraud ids)."""
    root = tmp_path_factory.mktemp("fraud_lake")
    labelled = list(events(8_000, users=80, seed=41, rates=Rates()))
    features = feature_rows([line for _, line, _ in labelled])
    fraud = {seed_rules.check(line)[0]["transactionId"] for _, line, label in labelled
             if label in FRAUD} & set(features)
    by_day = defaultdict(list)
    for row in features.values():
        day = dt.datetime.fromtimestamp(row["transaction_time"] / 1000, dt.UTC).date()
        by_day[day.isoformat()].append({**row, "fraud_score": None, "model_version": "none"})
    for day, rows in by_day.items():
        folder = root / "lake" / "fraud_features" / f"day={day}"
        folder.mkdir(parents=True)
        (folder / "part-0.json").write_text("".join(
            json.dumps({k: v for k, v in r.items() if k != "day"}) + "\n" for r in rows))
    labels = root / "lake" / "fraud_labels"
    labels.mkdir(parents=True)
    (labels / "fraud_labels.jsonl").write_text("".join(
        json.dumps({"transaction_id": i, "label": "fraud",
                    "label_time": features[i]["transaction_time"] + 3_600_000}) + "\n"
        for i in sorted(fraud)))
    return root, features, fraud


def held_out(features: dict[str, dict], as_of_day: int) -> list[dict]:
    """The held-out day: the last day before as_of - 7 days."""
    end = millis(as_of_day) - 7 * DAY_MS
    return [r for r in features.values() if end - DAY_MS <= r["transaction_time"] < end]


def alert_history(root: Path, features: dict, fraud: set[str]) -> dict[str, tuple[int, int]]:
    """Combined alerts on the first run's held-out day: UNUSUAL_AMOUNT on three frauds and one
    genuine transaction, SUSPICIOUS_MERCHANT (with it, on one) on two frauds. The expected
    (flagged, hits) of each rule."""
    rows = sorted(held_out(features, 10), key=lambda r: r["transaction_id"])
    frauds = [r["transaction_id"] for r in rows if r["transaction_id"] in fraud]
    genuine = [r["transaction_id"] for r in rows if r["transaction_id"] not in fraud]
    alerts = [(frauds[0], "UNUSUAL_AMOUNT"), (frauds[1], "UNUSUAL_AMOUNT,SUSPICIOUS_MERCHANT"),
              (frauds[2], "UNUSUAL_AMOUNT"), (genuine[0], "UNUSUAL_AMOUNT"),
              (frauds[3], "SUSPICIOUS_MERCHANT,MODEL_SCORE")]
    folder = root / "alerts" / "alert_history"
    folder.mkdir(parents=True)
    (folder / "part-0.json").write_text("".join(
        json.dumps({"transaction_id": t, "alert_type": types}) + "\n" for t, types in alerts))
    return {"UNUSUAL_AMOUNT": (4, 3), "SUSPICIOUS_MERCHANT": (2, 2), "HIGH_VELOCITY": (0, 0)}


def conf(root: Path, **params) -> dict:
    return {"lake_path": str(root / "lake"), "models_path": str(root / "models"),
            "reports_path": str(root / "reports"), "alerts_path": str(root / "alerts"),
            "notifications_path": str(root / "notifications.jsonl"),
            "fraud_features_path": str(root / "lake" / "fraud_features"),
            "fraud_labels_path": str(root / "lake" / "fraud_labels"), **params}


def registry(local_airflow) -> list[tuple]:
    import duckdb

    with duckdb.connect(str(local_airflow.root / "warehouse.duckdb"), read_only=True) as con:
        return con.sql("SELECT version, status, metrics, model_path, model_sha256 "
                       "FROM model_registry WHERE model_name = 'fraud_detection' "
                       "ORDER BY version").fetchall()


def report(root: Path, day: str) -> dict:
    return json.loads((root / "reports" / "fraud" / f"{day}.json").read_text())


def expected_metrics(model_path: str, rows: list[dict], fraud: set[str]) -> dict[str, float]:
    import numpy as np
    import onnxruntime

    options = onnxruntime.SessionOptions()  # one thread, as the job scores
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(model_path, options, providers=["CPUExecutionProvider"])
    given = np.array([[np.nan if r[n] is None else r[n] for n in NAMES] for r in rows],
                     dtype=np.float32)
    scores = session.run(["probabilities"], {session.get_inputs()[0].name: given})[0][:, 1]
    flagged = [r["transaction_id"] for r, s in zip(rows, scores, strict=True) if s > 0.5]
    hits = sum(t in fraud for t in flagged)
    total = sum(r["transaction_id"] in fraud for r in rows)
    precision, recall = hits / len(flagged), hits / total
    return {"precision": precision, "recall": recall,
            "f1": 2 * precision * recall / (precision + recall), "rows": len(rows),
            "fraud": total, "flagged": len(flagged)}


@pytest.fixture(scope="module")
def first_run(local_airflow, lake):
    root, features, fraud = lake
    rules = alert_history(root, features, fraud)
    outcome, log = local_airflow.run(DAG, "2026-01-10", conf(root, min_f1=0.5))
    return outcome, log, rules


@pytest.fixture(scope="module")
def second_run(local_airflow, lake, first_run):
    root, _, _ = lake
    outcome, log = local_airflow.run(DAG, "2026-01-11", conf(root, min_f1=0.99))
    return outcome, log


def test_the_first_model_passes_the_gate_and_is_deployed(local_airflow, lake, first_run):
    root, _, _ = lake
    outcome, log, _ = first_run
    assert outcome["state"] == "success", log[-5000:]
    assert outcome["tasks"]["reject_model"] == "skipped"
    (version, status, _, path, checksum), = registry(local_airflow)
    assert status == "deployed"
    import hashlib

    assert hashlib.sha256(Path(path).read_bytes()).hexdigest() == checksum  # not the code's
    assert Path(path).name == f"model-{checksum[:12]}.onnx"
    assert report(root, "2026-01-10")["status"] == "deployed"
    events_sent = [json.loads(line) for line in (root / "notifications.jsonl").read_text()
                   .splitlines()]
    assert [e["event"] for e in events_sent] == ["pipeline_success"]
    assert version in events_sent[0]["message"]


def test_the_metrics_are_the_registered_files_on_the_held_out_day(local_airflow, lake,
                                                                  first_run):
    root, features, fraud = lake
    (_, _, metrics, path, _), = [r for r in registry(local_airflow) if r[1] == "deployed"]
    got = json.loads(metrics)["model"]
    want = expected_metrics(path, held_out(features, 10), fraud)
    assert {k: got[k] for k in want} == pytest.approx(want, rel=1e-12)
    assert got["f1"] >= 0.5 and "deployed" not in json.loads(metrics)
    assert report(root, "2026-01-10")["metrics"]["model"] == got


def test_each_rule_is_measured_on_the_same_rows(local_airflow, lake, first_run):
    _, features, fraud = lake
    _, _, rules = first_run
    (_, _, metrics, _, _), = registry(local_airflow)
    measured = json.loads(metrics)["rules"]
    total = sum(r["transaction_id"] in fraud for r in held_out(features, 10))
    for rule, (flagged, hits) in rules.items():
        assert measured[rule]["flagged"] == flagged
        assert measured[rule]["precision"] == (hits / flagged if flagged else 0.0)
        assert measured[rule]["recall"] == hits / total
    assert "MODEL_SCORE" not in measured


def test_a_model_under_the_gate_is_rejected_and_the_deployed_one_stays(local_airflow, lake,
                                                                       second_run):
    root, features, fraud = lake
    outcome, log = second_run
    assert outcome["state"] == "success", log[-5000:]
    assert {t: outcome["tasks"][t] for t in ("approve_model", "deploy_model", "mark_deployed")} \
        == {"approve_model": "skipped", "deploy_model": "skipped", "mark_deployed": "skipped"}
    (first, first_status, _, first_path, _), (second, second_status, metrics, _, _) = \
        registry(local_airflow)
    assert (first_status, second_status) == ("deployed", "rejected")
    alert = json.loads((root / "notifications.jsonl").read_text().splitlines()[-1])
    assert alert["event"] == "model_performance_alert"
    assert f"The job stays on the deployed model {first}." in alert["message"]
    deployed = json.loads(metrics)["deployed"]
    want = expected_metrics(first_path, held_out(features, 11), fraud)
    assert deployed["version"] == first
    assert {k: deployed[k] for k in want} == pytest.approx(want, rel=1e-12)
