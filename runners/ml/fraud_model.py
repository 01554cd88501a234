"""The fraud model: a random forest over the fraud job's logged features, exported to ONNX.

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

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

# The columns of transaction_features the model reads, in the order of the INPUT of
# sql/flink/scored_transactions.sql (the provider refuses a file whose names differ).
FEATURES = ("amount", "amount_to_mean", "amount_zscore", "previous_count",
            "seconds_since_previous", "km_from_previous", "km_from_first", "speed_kmh", "recent_count",
            "previous_small", "high_risk_merchant", "hour_of_day")
LABEL = "is_fraud"
# Balanced: fraud is about 1% of transactions.
HYPERPARAMETERS: dict[str, Any] = {"n_estimators": 60, "max_depth": 10, "min_samples_leaf": 2,
                                   "class_weight": "balanced_subsample", "random_state": 42,
                                   "n_jobs": 1}
# The metadata property the provider compares with INPUT (udfs/java/sqlplatform/ml).
FEATURE_NAMES_KEY = "features"


def matrix(rows: pd.DataFrame) -> np.ndarray:
    """The rows' features as the model takes them: float32, NaN where NULL."""
    import numpy as np

    return rows[list(FEATURES)].astype("float64").to_numpy(dtype=np.float32, na_value=np.nan)


def train(rows: pd.DataFrame, hyperparameters: dict[str, Any] | None = None):
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline

    if rows.empty or rows[LABEL].nunique() < 2:
        raise ValueError(f"training needs rows of both labels; got {len(rows)} rows, "
                         f"{int(rows[LABEL].sum()) if not rows.empty else 0} of them fraud")
    forest = RandomForestClassifier(**{**HYPERPARAMETERS, **(hyperparameters or {})})
    # keep_empty_features: a feature NULL in every training row still takes a column.
    imputer = SimpleImputer(strategy="median", keep_empty_features=True)
    return make_pipeline(imputer, forest).fit(matrix(rows), rows[LABEL].astype(int))


def export(model, path: str | Path, version: str) -> str:
    """Write the model as ONNX (probabilities as a tensor, the features named in its metadata);
    return the file's sha256."""
    import numpy as np
    from skl2onnx import to_onnx

    forest = model.steps[-1][1]
    onnx = to_onnx(model, np.zeros((1, len(FEATURES)), dtype=np.float32),
                   options={id(forest): {"zipmap": False}},
                   target_opset={"": 17, "ai.onnx.ml": 3})
    onnx.doc_string = f"fraud model {version}"
    entry = onnx.metadata_props.add()
    entry.key, entry.value = FEATURE_NAMES_KEY, ",".join(FEATURES)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(path.name + ".tmp")
    staged.write_bytes(onnx.SerializeToString())
    staged.replace(path)
    return sha256_of(path)


def sha256_of(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def scores(path: str | Path, rows: pd.DataFrame | Sequence[Sequence[float | None]]) -> np.ndarray:
    """The probability of fraud the file gives each row, by ONNX Runtime as in the job."""
    import numpy as np
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    if hasattr(rows, "columns"):
        given = matrix(rows)
    else:
        given = np.array([[np.nan if v is None else v for v in row] for row in rows],
                         dtype=np.float32).reshape(-1, len(FEATURES))
    if len(given) == 0:
        return np.zeros(0)
    name = session.get_inputs()[0].name
    probabilities = session.run(["probabilities"], {name: given})[0]
    return probabilities[:, 1]
