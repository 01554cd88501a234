"""The fraud model's candidates side by side: held-out quality and ONNX scoring cost a row.

    .venv/bin/python benchmarks/fraud_model_cost.py

Reads the lake's fraud_training_set (`make demo` writes one), trains each candidate on its
training range with runners/ml/fraud_model.py's pipeline (the median imputer, then the trees),
exports it to ONNX as a deployment does, and prints for each: precision, recall and F1 at the
job's threshold (0.5) and PR-AUC on the held-out range, and the microseconds a row that ONNX
Runtime takes on one thread in batches of 64 (the median of five passes over the held-out
rows, after one to warm up): the candidates' cost relative to each other, of the model alone,
on an idle core. The job scores tree ensembles with the provider's own Java scorer, whose cost
also grows with the trees' number and depth (docs/fraud-model.md).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from runners.ml import fraud_model  # noqa: E402
from runners.profiles import location  # noqa: E402

BATCH = 64
MIN_ROWS = 12_800
# (the estimator, its hyperparameters); the first is the deployed model's.
CANDIDATES: list[tuple[str, dict[str, Any]]] = [
    ("gradient boosting", fraud_model.HYPERPARAMETERS),
    ("gradient boosting", {"n_estimators": 100, "max_depth": 3, "random_state": 42}),
    ("gradient boosting", {"n_estimators": 30, "max_depth": 5, "random_state": 42}),
    ("random forest", {"n_estimators": 60, "max_depth": 10, "min_samples_leaf": 2,
                       "class_weight": "balanced_subsample", "random_state": 42, "n_jobs": 1}),
    ("random forest", {"n_estimators": 30, "max_depth": 10, "min_samples_leaf": 2,
                       "class_weight": "balanced_subsample", "random_state": 42, "n_jobs": 1}),
]


def train(kind: str, hyperparameters: dict[str, Any], rows):
    """fraud_model.train's pipeline, with the candidate's trees."""
    if kind == "gradient boosting":
        return fraud_model.train(rows, hyperparameters)
    from sklearn.ensemble import RandomForestClassifier

    return fraud_model.train(rows, trees=RandomForestClassifier(**hyperparameters))


def microseconds_a_row(path: Path, features) -> float:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(path), options,
                                           providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    rows = len(features) // BATCH * BATCH
    passes = []
    for _ in range(6):  # the first pass warms up and is left out
        start = time.perf_counter()
        for row in range(0, rows, BATCH):
            session.run(["probabilities"], {name: features[row:row + BATCH]})
        passes.append((time.perf_counter() - start) / rows * 1e6)
    return statistics.median(passes[1:])


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    rows = fraud_model.read_training_set(location("lake_path"))
    training, held_out = fraud_model.split(rows, "train"), fraud_model.split(rows, "holdout")
    features = fraud_model.matrix(held_out)
    if len(features) < MIN_ROWS:
        raise SystemExit(f"the held-out range has {len(features):,} rows; the timing needs "
                         f"{MIN_ROWS:,} (make demo writes enough)")
    print(f"{len(training):,} rows to train, {len(held_out):,} held out "
          f"({int(held_out[fraud_model.LABEL].sum()):,} fraud)")
    print(f"{'model':<58} {'P':>6} {'R':>6} {'F1':>6} {'PR-AUC':>7} {'us/row':>7}")
    with tempfile.TemporaryDirectory() as folder:
        for number, (kind, hyperparameters) in enumerate(CANDIDATES):
            path = Path(folder) / f"candidate-{number}.onnx"
            fraud_model.export(train(kind, hyperparameters, training), path, "candidate")
            quality = fraud_model.metrics(held_out[fraud_model.LABEL].astype(int),
                                          fraud_model.scores(path, held_out), 0.5)
            shape = f"{hyperparameters['n_estimators']} trees, depth {hyperparameters['max_depth']}"
            deployed = " (deployed)" if number == 0 else ""
            print(f"{kind + ', ' + shape + deployed:<58} {quality['precision']:6.3f} "
                  f"{quality['recall']:6.3f} {quality['f1']:6.3f} {quality['pr_auc']:7.3f} "
                  f"{microseconds_a_row(path, features):7.2f}", flush=True)


if __name__ == "__main__":
    main()
