"""The ONNX model provider ('provider' = 'onnx', udfs/java/sqlplatform/ml): ML_PREDICT in a Flink
SQL job scores each row as scikit-learn's own predict_proba does, with the model's version;
NULL features are missing values; a wrong model fails the submission with one line that names
the file or the column, before any row is read.

One model for the module: a small random forest on three features, exported by skl2onnx as
the training pipeline will export the fraud model. The expected scores come from scikit-learn,
not from ONNX Runtime, whose arithmetic the provider follows.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pytest

from runners.engines import flink_sql
from runners.engines.sqlscript import ScriptError
from runners.profiles import load_profile

FEATURES = ("f1", "f2", "f3")
ROWS = [  # id, f1, f2, f3
    (1, 0.0, 0.0, 0.0), (2, 1.5, 0.2, -0.3), (3, -1.2, 2.0, 0.7), (4, 0.31, 0.0, 5.0),
    (5, 3.0, -3.0, 1.0), (6, -0.5, -0.5, -0.5), (7, 0.29, 0.01, 0.0), (8, 10.0, 10.0, 10.0),
]


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> tuple[Path, str, object]:
    from skl2onnx import to_onnx
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline

    rng = np.random.default_rng(7)
    x = rng.normal(size=(3000, 3)).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0.3).astype(int)
    x[rng.random(x.shape) < 0.05] = np.nan
    # A missing feature takes the training median, in the file itself (the fraud model's way).
    forest = RandomForestClassifier(n_estimators=40, max_depth=6, random_state=0)
    model = make_pipeline(SimpleImputer(strategy="median"), forest).fit(x, y)
    onnx = to_onnx(model, x[:1], options={id(forest): {"zipmap": False}},
                   target_opset={"": 17, "ai.onnx.ml": 3})
    path = tmp_path_factory.mktemp("model") / "model.onnx"
    path.write_bytes(onnx.SerializeToString())
    return path, hashlib.sha256(path.read_bytes()).hexdigest(), model


def job_file(folder: Path, *, inputs: str = "f1 DOUBLE, f2 DOUBLE, f3 DOUBLE",
             described: str = "f1, f2, f3", rows: list[tuple] = ROWS,
             types: tuple[str, ...] = ("DOUBLE",) * 3, options: str = "",
             config: str = "") -> Path:
    values = ",\n        ".join(
        "(" + ", ".join([str(i)] + [f"CAST({'NULL' if v is None else repr(v)} AS {kind})"
                                    for v, kind in zip(vs, types, strict=True)]) + ")"
        for i, *vs in rows)
    path = folder / "score_rows.sql"
    path.write_text(f"""-- score_rows: the given rows scored by the model.
--
-- Computes: each row's fraud_score and model_version.
-- Input: the rows below.
-- Output: scores (JSON lines under ${{out_path}}).
-- Parameters: model_path, model_version, model_sha256, out_path.

CREATE TEMPORARY VIEW feature_rows AS
SELECT * FROM (VALUES
        {values}
) AS given (id, f1, f2, f3);

CREATE TEMPORARY MODEL fraud_model
INPUT ({inputs})
OUTPUT (fraud_score DOUBLE, model_version STRING)
WITH (
    'provider' = 'onnx',
    'path' = '${{model_path}}',
    'version' = '${{model_version}}',
    'sha256' = '${{model_sha256}}'{options}
);

CREATE TEMPORARY TABLE scores (id INT, fraud_score DOUBLE, model_version STRING)
WITH ('connector' = 'filesystem', 'path' = '${{out_path}}', 'format' = 'json');

EXECUTE STATEMENT SET
BEGIN
    INSERT INTO scores
    SELECT id, fraud_score, model_version
    FROM ML_PREDICT(TABLE feature_rows, MODEL fraud_model, DESCRIPTOR({described}){config});
END;
""")
    return path


def run(path: Path, variables: dict[str, str]) -> None:
    flink_sql.run(flink_sql.build([path], load_profile("local"), variables, connectors=[],
                                  settings={"parallelism.default": "1"}))


def read_scores(folder: Path) -> dict[int, tuple[float, str]]:
    rows = [json.loads(line) for f in sorted(folder.rglob("*")) if f.is_file()
            and not f.name.startswith((".", "_")) for line in f.read_text().splitlines()]
    return {r["id"]: (r["fraud_score"], r["model_version"]) for r in rows}


@pytest.fixture(scope="module")
def scored(model, tmp_path_factory) -> dict[int, tuple[float, str]]:
    """One job for the scoring tests: the rows, and rows with NULL features."""
    path, sha256, _ = model
    folder = tmp_path_factory.mktemp("job")
    rows = [*ROWS, (9, None, 0.0, 0.0), (10, 1.5, None, None), (11, None, None, None)]
    run(job_file(folder, rows=rows), {"model_path": str(path), "model_version": "v7",
                                      "model_sha256": sha256, "out_path": str(folder / "out")})
    return read_scores(folder / "out")


def test_scores_are_scikit_learns_probability_with_the_version(model, scored):
    _, _, forest = model
    expected = forest.predict_proba(np.array([r[1:] for r in ROWS], dtype=np.float32))[:, 1]
    for (row_id, *_), probability in zip(ROWS, expected, strict=True):
        score, version = scored[row_id]
        assert version == "v7"
        assert score == pytest.approx(float(probability), abs=1e-6), row_id
    assert len({round(scored[r[0]][0], 6) for r in ROWS}) > 2  # the rows are not all alike


def test_a_null_feature_takes_the_training_median_as_in_scikit_learn(model, scored):
    _, _, forest = model
    given = np.array([[math.nan, 0.0, 0.0], [1.5, math.nan, math.nan],
                      [math.nan, math.nan, math.nan]], dtype=np.float32)
    expected = forest.predict_proba(given)[:, 1]
    for row_id, probability in zip((9, 10, 11), expected, strict=True):
        assert scored[row_id][0] == pytest.approx(float(probability), abs=1e-6)


def failure(model, tmp_path: Path, **changes) -> str:
    path, sha256, _ = model
    variables = {"model_path": str(path), "model_version": "v7", "model_sha256": sha256,
                 "out_path": str(tmp_path / "out")}
    variables.update(changes.pop("variables", {}))
    job = job_file(tmp_path, **changes)
    with pytest.raises(ScriptError) as raised:
        run(job, variables)
    assert not (tmp_path / "out").exists()  # it failed before a row was scored
    return str(raised.value)


def test_a_missing_model_file_is_named(model, tmp_path):
    message = failure(model, tmp_path, variables={"model_path": "/nowhere/model.onnx"})
    assert "model file /nowhere/model.onnx does not exist" in message


def test_a_model_file_that_is_not_the_registrys_is_named(model, tmp_path):
    message = failure(model, tmp_path, variables={"model_sha256": "0" * 64})
    assert f"model file {model[0]}: its sha256 is {model[1]}, not the registry's" in message


def test_a_model_with_other_features_than_input_fails_at_submission(model, tmp_path):
    message = failure(model, tmp_path, inputs="f1 DOUBLE, f2 DOUBLE", described="f1, f2")
    assert f"model file {model[0]} takes 3 features, and the model's INPUT has 2" in message


def test_a_feature_that_is_not_double_is_named(model, tmp_path):
    message = failure(model, tmp_path, inputs="f1 DOUBLE, f2 DOUBLE, f3 STRING",
                      types=("DOUBLE", "DOUBLE", "STRING"))
    assert "model fraud_model: INPUT column f3 is STRING; features are DOUBLE" in message


def test_without_a_version_option_a_file_that_names_none_is_refused(model, tmp_path):
    message = failure(model, tmp_path, variables={"model_version": "", "model_sha256": ""})
    assert f"model file {model[0]} names no version: give the model's 'version' option" \
        in message


def test_without_version_and_checksum_the_files_own_version_scores(tmp_path):
    """A model deployed on this machine without its registry row (the job's defaults): the
    version comes from the file the training pipeline wrote, the checksum is not checked."""
    from runners.ml import fraud_model
    from tests.flink.model_reference import fraud_test_model

    exported = fraud_test_model()
    path = tmp_path / "features.sql"
    names = ", ".join(f"{name} DOUBLE" for name in fraud_model.FEATURES)
    values = ", ".join(["CAST(1.0 AS DOUBLE)"] * len(fraud_model.FEATURES))
    path.write_text(f"""CREATE TEMPORARY VIEW feature_rows AS
SELECT * FROM (VALUES (1, {values})) AS given (id, {", ".join(fraud_model.FEATURES)});

CREATE TEMPORARY MODEL fraud_model INPUT ({names})
OUTPUT (fraud_score DOUBLE, model_version STRING)
WITH ('provider' = 'onnx', 'path' = '{exported.path}', 'version' = '', 'sha256' = '');

CREATE TEMPORARY TABLE scores (id INT, fraud_score DOUBLE, model_version STRING)
WITH ('connector' = 'filesystem', 'path' = '{tmp_path / "out"}', 'format' = 'json');

INSERT INTO scores SELECT id, fraud_score, model_version
FROM ML_PREDICT(TABLE feature_rows, MODEL fraud_model,
                DESCRIPTOR({", ".join(fraud_model.FEATURES)}));
""")
    run(path, {})
    (score, version), = read_scores(tmp_path / "out").values()
    assert version == "test-1"
    assert score == exported.scores([dict.fromkeys(fraud_model.FEATURES, 1.0)])[0]
