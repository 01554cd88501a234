"""The fraud model: gradient-boosted trees over the fraud job's logged features, in ONNX.

sql/flink/fraud_features.sql defines the features; the job logs them, and training reads that
log (sql/spark/fraud/fraud_training_set.sql joins it with the labels known by then), so the
model learns from exactly what it will be served. Here:

    train(rows)                  fit on the rows' FEATURES and label
    export(model, path, version) the ONNX file the job's 'onnx' provider scores, its sha256
    scores(path, rows)           the file's scores of rows, with ONNX Runtime (as the job does)

A missing feature (NULL: no history yet) is imputed with the training median inside the file,
so the job and this module score it alike.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runners import staging_path

# The registry's checksum, computed as for the churn model.
from runners.ml.churn_model import sha256_of  # noqa: F401 (used by the DAG and tests)

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

# The columns of transaction_features the model reads, in the order of the INPUT of
# sql/flink/scored_transactions.sql (the provider refuses a file whose names differ).
FEATURES = ("amount", "amount_to_mean", "amount_zscore", "previous_count",
            "seconds_since_previous", "km_from_previous", "km_from_first", "speed_kmh",
            "recent_count", "previous_small", "high_risk_merchant", "hour_of_day")
LABEL = "is_fraud"
# 50 trees of depth 4: on the demo's held-out day, F1 0.886 and PR-AUC 0.916, against 0.835 and
# 0.882 for the random forest of 60 trees of depth 10 it replaced, at a third of the scoring
# cost a row (docs/performance.md, "The fraud model").
HYPERPARAMETERS: dict[str, Any] = {"n_estimators": 50, "max_depth": 4, "random_state": 42}
# The metadata property the provider compares with INPUT (udfs/java/sqlplatform/ml).
FEATURE_NAMES_KEY = "features"


def matrix(rows: pd.DataFrame) -> np.ndarray:
    """The rows' features as the model takes them: float32, NaN where NULL."""
    import numpy as np

    return rows[list(FEATURES)].astype("float64").to_numpy(dtype=np.float32, na_value=np.nan)


def train(rows: pd.DataFrame, hyperparameters: dict[str, Any] | None = None, trees=None):
    """The median imputer, then gradient-boosted trees (or `trees`, another unfitted
    scikit-learn classifier: benchmarks/fraud_model_cost.py compares some), fitted on `rows`."""
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline

    if rows.empty or rows[LABEL].nunique() < 2:
        raise ValueError(f"training needs rows of both labels; got {len(rows)} rows, "
                         f"{int(rows[LABEL].sum()) if not rows.empty else 0} of them fraud")
    if trees is None:
        trees = GradientBoostingClassifier(**{**HYPERPARAMETERS, **(hyperparameters or {})})
    # keep_empty_features: a feature NULL in every training row still takes a column.
    imputer = SimpleImputer(strategy="median", keep_empty_features=True)
    return make_pipeline(imputer, trees).fit(matrix(rows), rows[LABEL].astype(int))


def export(model, path: str | Path, version: str) -> str:
    """Write the model as ONNX (probabilities as a tensor, the features named in its metadata);
    return the file's sha256."""
    import numpy as np
    from skl2onnx import to_onnx

    trees = model.steps[-1][1]
    onnx = to_onnx(model, np.zeros((1, len(FEATURES)), dtype=np.float32),
                   options={id(trees): {"zipmap": False}},
                   target_opset={"": 17, "ai.onnx.ml": 3})
    onnx.doc_string = f"fraud model {version}"
    for key, value in ((FEATURE_NAMES_KEY, ",".join(FEATURES)), ("version", version)):
        entry = onnx.metadata_props.add()
        entry.key, entry.value = key, value
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging_path(path).write_bytes(onnx.SerializeToString())
    staging_path(path).replace(path)
    return sha256_of(path)


def export_versioned(model, folder: str | Path, version: str) -> tuple[Path, str]:
    """Export into `folder` as model-<sha256 prefix>.onnx: a retrained file never replaces one
    the job may be scoring with (whose checksum the registry holds). (path, sha256)."""
    folder = Path(folder)
    staged = folder / f".model.onnx.{os.getpid()}.export"
    checksum = export(model, staged, version)
    final = folder / f"model-{checksum[:12]}.onnx"
    staged.replace(final)
    return final, checksum


def scores(path: str | Path, rows: pd.DataFrame) -> np.ndarray:
    """The probability of fraud the file gives each row, by ONNX Runtime as in the job."""
    import numpy as np
    import onnxruntime

    # One thread, as the job's provider: the trees' float32 sum in one order, so these scores
    # are the job's to the last bit.
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    given = matrix(rows)
    if len(given) == 0:
        return np.zeros(0)
    name = session.get_inputs()[0].name
    probabilities = session.run(["probabilities"], {name: given})[0]
    return probabilities[:, 1]


# Evaluation: on the held-out range, at the score the job alerts above.

def read_training_set(lake_path: str | Path) -> pd.DataFrame:
    """The lake's fraud_training_set (sql/spark/fraud/fraud_training_set.sql)."""
    import pandas as pd

    folder = Path(lake_path) / "fraud_training_set"
    if not folder.is_dir():
        raise FileNotFoundError(f"no fraud training set: {folder} is missing")
    return pd.read_parquet(folder)


def split(rows: pd.DataFrame, name: str) -> pd.DataFrame:
    part = rows[rows["split"] == name]
    if part.empty:
        raise ValueError(f"fraud_training_set has no '{name}' rows: is the feature log older "
                         "than the label wait and the held-out range?")
    return part


def metrics(labels: Sequence[int], scores: Sequence[float], threshold: float) -> dict[str, float]:
    """Precision, recall and F1 of `score > threshold` (the job's alert), and PR-AUC (average
    precision) of the scores; 0 where a ratio has nothing to divide by."""
    import numpy as np
    from sklearn.metrics import average_precision_score

    truth = np.asarray(labels, dtype=int)
    flagged = np.asarray(scores, dtype=float) > threshold
    return {**counts_metrics(truth, flagged),
            "pr_auc": float(average_precision_score(truth, scores)) if truth.any() else 0.0,
            "threshold": threshold}


def counts_metrics(truth, flagged) -> dict[str, float]:
    import numpy as np

    truth, flagged = np.asarray(truth, dtype=bool), np.asarray(flagged, dtype=bool)
    hits = int((truth & flagged).sum())
    precision = hits / int(flagged.sum()) if flagged.any() else 0.0
    recall = hits / int(truth.sum()) if truth.any() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "flagged": int(flagged.sum()),
            "fraud": int(truth.sum()), "rows": len(truth)}


def rule_metrics(rows: pd.DataFrame, alert_types: dict[str, set[str]],
                 rules: Sequence[str]) -> dict[str, dict[str, float]]:
    """Each rule's precision, recall and F1 on the rows: a rule flags a transaction when one of
    its combined alerts names the rule's type."""
    ids = rows["transaction_id"].tolist()
    return {rule: counts_metrics(rows[LABEL].to_numpy(),
                                 [rule in alert_types.get(i, ()) for i in ids])
            for rule in rules}


# The registry (model_registry in the warehouse): which model the job scores with.

MODEL_NAME = "fraud_detection"
SQL = Path(__file__).resolve().parents[2] / "sql"


def deployed_model(hook) -> dict[str, str] | None:
    """The deployed fraud model's registry row (version, model_path, model_sha256), or None;
    `hook` is the warehouse connection's (Airflow's DbApiHook: get_first, run)."""
    hook.run((SQL / "warehouse" / "model_registry.sql").read_text())
    row = hook.get_first((SQL / "airflow" / "deployed_fraud_model.sql").read_text())
    return dict(zip(("version", "model_path", "model_sha256"), row, strict=True)) if row else None


def job_variables(model: dict[str, str]) -> dict[str, str]:
    """The fraud job's --var values that make it score with this registry row's model."""
    return {"fraud_model_path": model["model_path"], "fraud_model_version": model["version"],
            "fraud_model_sha256": model["model_sha256"]}


def check_file(model: dict[str, str]) -> None:
    """The row's file exists and has its checksum; else an error naming the file."""
    path = Path(model["model_path"])
    if not path.is_file():
        raise FileNotFoundError(f"model file {path} of {MODEL_NAME} {model['version']} is gone")
    actual = sha256_of(path)
    if actual != model["model_sha256"]:
        raise ValueError(f"model file {path}: its sha256 is {actual}, not the registry's "
                         f"{model['model_sha256']}")


def publish(model: dict[str, str], folder: Path) -> Path:
    """Copy the model's file to folder/model.onnx, replacing the one there at once; the fraud
    job's defaults score with it (sql/flink/scored_transactions.sql)."""
    import shutil

    check_file(model)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(model["model_path"], staging_path(folder / "model.onnx"))
    staging_path(folder / "model.onnx").replace(folder / "model.onnx")
    return folder / "model.onnx"
