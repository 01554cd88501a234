"""The churn model: the seed's RandomForestClassifier, fitted on churn_features, with its sha256.

sql/spark/churn/churn_features.sql decides everything about the data, including the holdout
(a hash of customer_id), so training and validation here only read its rows:

    train(features)            fit on split = 'train'
    save(model, path)          joblib file and its sha256, returned and written next to it
    load_verified(path, sha)   the model, only when the file still has the registry's checksum
    evaluate(model, features)  accuracy, precision, recall and f1 on split = 'holdout'
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

# The seed's hyperparameters, unchanged (n_jobs=-1: every core).
HYPERPARAMETERS: dict[str, Any] = {"n_estimators": 100, "max_depth": 10, "min_samples_split": 5,
                                   "random_state": 42, "n_jobs": -1}
LABEL = "churned"
NOT_FEATURES = {"customer_id", "snapshot_date", "split", LABEL}


class ChecksumMismatch(RuntimeError):
    """The model file is not the one the registry recorded."""


def read_features(lake_path: str | Path, snapshot_date: str) -> pd.DataFrame:
    """One day of the churn_features lake table; a missing day is an error naming the folder."""
    import pandas as pd

    folder = Path(lake_path) / "churn_features" / f"snapshot_date={snapshot_date}"
    if not folder.is_dir():
        raise FileNotFoundError(f"no churn features for {snapshot_date}: {folder} is missing")
    return pd.read_parquet(folder)


def feature_columns(features: pd.DataFrame) -> list[str]:
    return [c for c in features.columns if c not in NOT_FEATURES]


def _split(features: pd.DataFrame, name: str) -> pd.DataFrame:
    rows = features[features["split"] == name]
    if rows.empty:
        raise ValueError(f"churn_features has no '{name}' rows to work with")
    return rows


def train(features: pd.DataFrame):
    from sklearn.ensemble import RandomForestClassifier

    rows = _split(features, "train")
    model = RandomForestClassifier(**HYPERPARAMETERS)
    model.fit(rows[feature_columns(features)].astype(float), rows[LABEL].astype(int))
    return model


def evaluate(model, features: pd.DataFrame) -> dict[str, float | int]:
    """Metrics on the holdout; precision and f1 are 0.0 when the model predicts no churn."""
    from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

    rows = _split(features, "holdout")
    truth = rows[LABEL].astype(int)
    predicted = model.predict(rows[feature_columns(features)].astype(float))
    return {
        "accuracy": round(float(accuracy_score(truth, predicted)), 4),
        "precision": round(float(precision_score(truth, predicted, zero_division=0)), 4),
        "recall": round(float(recall_score(truth, predicted, zero_division=0)), 4),
        "f1_score": round(float(f1_score(truth, predicted, zero_division=0)), 4),
        "holdout_rows": int(len(rows)),
        "holdout_churned": int(truth.sum()),
    }


def sha256_of(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save(model, path: str | Path) -> str:
    """Write the model and <path>.sha256; return the checksum."""
    import joblib

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, path)
    checksum = sha256_of(path)
    path.with_name(path.name + ".sha256").write_text(f"{checksum}  {path.name}\n")
    return checksum


def load_verified(path: str | Path, expected_sha256: str):
    """Load the model only when its file hashes to the checksum the registry recorded."""
    import joblib

    actual = sha256_of(path)
    if actual != expected_sha256:
        raise ChecksumMismatch(f"{path}: sha256 is {actual}, the registry recorded "
                               f"{expected_sha256}; not loading it")
    return joblib.load(path)
