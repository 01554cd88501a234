"""The fraud model's features and alerts in plain Python: the independent reference.

Written from the feature definitions (sql/flink/fraud_features.sql's header, in words), not from
its SQL: each user's valid, on-time transactions in event-time order, ties in arrival order
(seed_rules.sort_lines), and for each one what its history says. The scores come from the model
file through ONNX Runtime's Python package; the job scores the trees in Java.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.flink import seed_rules

NAMES = ("amount", "amount_to_mean", "amount_zscore", "previous_count", "seconds_since_previous",
         "km_from_previous", "km_from_first", "speed_kmh", "recent_count", "previous_small",
         "high_risk_merchant", "hour_of_day")
RECENT_MS = 60_000  # "the last minute, this one included"
SMALL = 5.0  # a card test: under $5 ...
LAST = 5  # ... among the previous five
ALERT_ABOVE = 0.5  # the model alerts on a score above this (docs/fraud-detection.md)


def features(history: list[dict]) -> list[dict]:
    """Each transaction of one user's history (in order) with its features; None = NULL."""
    rows = []
    total = squares = 0.0
    for i, txn in enumerate(history):
        amount, ts = txn["amount"], txn["timestamp"]
        mean = total / i if i > 0 else None
        variance = squares / i - mean * mean if i > 1 else None
        previous = history[i - 1] if i > 0 else None
        row = {"transaction_id": txn["transactionId"], "user_id": txn["userId"],
               "transaction_time": ts, "amount": amount,
               "amount_to_mean": amount / mean if mean else None,
               "amount_zscore": (amount - mean) / math.sqrt(variance)
               if variance is not None and variance > 0 else None,
               "previous_count": float(i),
               "recent_count": float(sum(t["timestamp"] > ts - RECENT_MS
                                         for t in history[:i + 1])),
               "previous_small": float(sum(t["amount"] < SMALL
                                           for t in history[max(0, i - LAST):i])),
               "high_risk_merchant": 1.0 if txn["merchantCategory"] in seed_rules.RISKY else 0.0,
               "hour_of_day": float(ts // 3_600_000 % 24),
               "km_from_first": seed_rules.distance_km(history[0]["latitude"],
                                                       history[0]["longitude"],
                                                       txn["latitude"], txn["longitude"]),
               "seconds_since_previous": None, "km_from_previous": None, "speed_kmh": None}
        if previous:
            millis = ts - previous["timestamp"]
            km = seed_rules.distance_km(previous["latitude"], previous["longitude"],
                                        txn["latitude"], txn["longitude"])
            row.update(seconds_since_previous=millis / 1000.0, km_from_previous=km,
                       speed_kmh=km / (max(millis, 1) / 3_600_000.0))
        rows.append(row)
        total, squares = total + amount, squares + amount * amount
    return rows


def feature_rows(lines: list[str]) -> dict[str, dict]:
    """transaction_id -> features, for every valid on-time transaction of `lines`."""
    by_user, _, _ = seed_rules.sort_lines(lines)
    return {row["transaction_id"]: row for history in by_user.values()
            for row in features(history)}


@functools.cache
def _session(path: Path):
    import onnxruntime

    # One thread: the trees' leaves summed in the file's order, as the job's provider sums them
    # (on several threads, a float32 sum may differ in its last bit).
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


@dataclass(frozen=True)
class Model:
    """A model file as the job gets it, and the score above which it alerts."""
    path: Path
    version: str
    sha256: str
    min_score: float = ALERT_ABOVE

    def job_variables(self) -> dict[str, str]:
        """The job's model; its threshold is the job's own default unless it differs."""
        variables = {"fraud_model_path": str(self.path), "fraud_model_version": self.version,
                     "fraud_model_sha256": self.sha256}
        if self.min_score != ALERT_ABOVE:
            variables["min_model_score"] = repr(self.min_score)
        return variables

    def scores(self, rows: list[dict]) -> list[float]:
        import numpy as np

        if not rows:
            return []
        session = _session(self.path)
        given = np.array([[math.nan if r[n] is None else r[n] for n in NAMES] for r in rows],
                         dtype=np.float32)
        out = session.run(["probabilities"], {session.get_inputs()[0].name: given})[0]
        return [float(p) for p in out[:, 1]]

    def alerts(self) -> Callable[[list[dict]], list[dict]]:
        """seed_rules.evaluate's model: a user's history -> its MODEL_SCORE alerts."""
        def alerts_of(history: list[dict]) -> list[dict]:
            scored = zip(history, self.scores(features(history)), strict=True)
            return [seed_rules.alert(txn, "MODEL_SCORE",
                                     f"Fraud model {self.version} scored "
                                     f"{seed_rules.java_format(score, 2)}",
                                     score, txn["timestamp"])
                    for txn, score in scored if score > self.min_score]
        return alerts_of


# The tests' models: version -> (training seed, hyperparameters). test-1 is small enough that
# some of test_model_score's rows score just below 0.5 and some just above; test-2 is another
# model, for the rollout from one version to the next.
TEST_MODELS = {"test-1": (23, {"n_estimators": 10, "max_depth": 3}),
               "test-2": (29, {"n_estimators": 8, "max_depth": 4})}
_test_models: dict[str, Model] = {}


def fraud_test_model(version: str = "test-1") -> Model:
    """A fraud model for the tests, trained by runners/ml/fraud_model.py on the reference
    features of a labelled sample; built once per source version under build/, where every
    process of a run (the mutation check's workers, the platform jobs) finds the same file."""
    if version not in _test_models:
        import hashlib

        from runners.ml import fraud_model
        from runners.sample_data import generate_transactions

        sources = [Path(fraud_model.__file__), Path(__file__),
                   Path(generate_transactions.__file__)]
        key = hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()[:12]
        path = (Path(__file__).resolve().parents[2] / "build" / "test-model" / key
                / f"fraud-{version}.onnx")
        if not path.exists():
            _train(path, version)
        _test_models[version] = Model(path, version, fraud_model.sha256_of(path))
    return _test_models[version]


def _train(path: Path, version: str) -> None:
    import pandas as pd

    from runners.ml import fraud_model
    from runners.sample_data.generate_transactions import FRAUD, Rates, events

    seed, hyperparameters = TEST_MODELS[version]
    labelled = list(events(6000, users=120, seed=seed, rates=Rates()))
    fraud = {seed_rules.check(line)[0]["transactionId"] for _, line, label in labelled
             if label in FRAUD}
    rows = pd.DataFrame(feature_rows([line for _, line, _ in labelled]).values())
    rows[fraud_model.LABEL] = rows["transaction_id"].isin(fraud)
    model = fraud_model.train(rows, hyperparameters)
    fraud_model.export(model, path, version)
