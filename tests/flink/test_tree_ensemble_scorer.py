"""The provider's own scoring of tree ensembles (udfs/java/sqlplatform/ml/TreeEnsembleScorer):
ML_PREDICT in a Flink job gives, for every row, the score ONNX Runtime's Python package gives
for the same file, and a model it does not take is scored by ONNX Runtime in the job.

The models: what skl2onnx exports for scikit-learn's gradient boosting (the fraud model's
kind), random forest and a deep decision tree, each behind a median imputer; and two files
made node by node, which use every comparison of the ONNX operator, NaN sent to the true
branch or not, and the binary cases ONNX Runtime treats apart (weights for one class with a
base value and a logistic; weights for both classes, raw). The expected scores come from ONNX
Runtime, one thread, not from the code under test.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest

from runners.engines import flink_env, flink_sql
from runners.profiles import load_profile

GRID = (math.nan, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0)  # on and beside the made trees' thresholds


def made_trees(path: Path, *, one_class: bool) -> None:
    """Three trees over f0..f2 that use every BRANCH_* mode and NaN both ways. With one_class,
    every weight is for class 0, mixed in sign, with a base value and LOGISTIC (gradient
    boosting's shape); otherwise both classes have weights, some leaves one only, and NONE."""
    import onnx
    from onnx import TensorProto, helper

    # (tree, node, mode, feature, threshold, true node, false node, NaN goes true)
    branches = [(0, 0, "BRANCH_LEQ", 0, 1.0, 1, 2, 1), (0, 2, "BRANCH_LT", 1, 2.0, 3, 4, 0),
                (1, 0, "BRANCH_GTE", 2, 0.5, 1, 2, 0), (1, 1, "BRANCH_GT", 0, 2.0, 3, 4, 1),
                (1, 2, "BRANCH_EQ", 1, 1.5, 5, 6, 1), (2, 0, "BRANCH_NEQ", 2, 3.0, 1, 2, 0)]
    leaves = [(0, 1), (0, 3), (0, 4), (1, 3), (1, 4), (1, 5), (1, 6), (2, 1), (2, 2)]
    nodes = sorted(branches + [(t, n, "LEAF", 0, 0.0, 0, 0, 0) for t, n in leaves])
    weights = []  # (tree, node, class, weight)
    for k, (t, n) in enumerate(leaves):
        if one_class:
            weights.append((t, n, 0, (-1) ** k * (0.3 + 0.17 * k)))
        else:
            weights += [(t, n, c, 0.1 + 0.07 * k + 0.2 * c) for c in (0, 1) if (k + c) % 3]
    attributes = {
        "nodes_treeids": [x[0] for x in nodes], "nodes_nodeids": [x[1] for x in nodes],
        "nodes_modes": [x[2] for x in nodes], "nodes_featureids": [x[3] for x in nodes],
        "nodes_values": [x[4] for x in nodes], "nodes_truenodeids": [x[5] for x in nodes],
        "nodes_falsenodeids": [x[6] for x in nodes],
        "nodes_missing_value_tracks_true": [x[7] for x in nodes],
        "class_treeids": [w[0] for w in weights], "class_nodeids": [w[1] for w in weights],
        "class_ids": [w[2] for w in weights], "class_weights": [w[3] for w in weights],
        "classlabels_int64s": [0, 1],
        "post_transform": "LOGISTIC" if one_class else "NONE",
    }
    if one_class:
        attributes["base_values"] = [0.25]
    node = helper.make_node("TreeEnsembleClassifier", ["X"], ["label", "probabilities"],
                            domain="ai.onnx.ml", **attributes)
    graph = helper.make_graph(
        [node], "made", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, 3])],
        [helper.make_tensor_value_info("label", TensorProto.INT64, [None]),
         helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("ai.onnx.ml", 3)])
    model.ir_version = 8
    onnx.save(model, path)


def exported(path: Path, estimator, x: np.ndarray, y: np.ndarray) -> None:
    """scikit-learn's `estimator` behind a median imputer, fitted and exported as the training
    pipeline exports the fraud model."""
    from skl2onnx import to_onnx
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(SimpleImputer(strategy="median"), estimator).fit(x, y)
    onnx = to_onnx(model, x[:1], options={id(estimator): {"zipmap": False}},
                   target_opset={"": 17, "ai.onnx.ml": 3})
    path.write_bytes(onnx.SerializeToString())


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    folder = tmp_path_factory.mktemp("models")
    rng = np.random.default_rng(11)
    x = rng.normal(size=(4000, 3)).astype(np.float32) * np.float32([1, 10, 1000])
    y = ((x[:, 0] + 0.05 * x[:, 1] > 0.3) ^ (rng.random(len(x)) < 0.1)).astype(int)
    x[rng.random(x.shape) < 0.05] = np.nan
    paths = {name: folder / f"{name}.onnx" for name in
             ("boosted", "forest", "tree", "made_one_class", "made_two_classes", "linear")}
    exported(paths["boosted"], GradientBoostingClassifier(n_estimators=50, max_depth=4,
                                                          random_state=0), x, y)
    exported(paths["forest"], RandomForestClassifier(n_estimators=40, max_depth=6,
                                                     random_state=0), x, y)
    exported(paths["tree"], DecisionTreeClassifier(max_depth=12, random_state=0), x, y)
    exported(paths["linear"], LogisticRegression(), x, y)  # not trees: ONNX Runtime scores
    made_trees(paths["made_one_class"], one_class=True)
    made_trees(paths["made_two_classes"], one_class=False)
    return paths


@functools.cache
def rows() -> list[tuple[int, float, float, float]]:
    """The grid of the made trees' thresholds, then random rows at scikit-learn's scales."""
    grid = list(itertools.product(GRID, repeat=3))
    rng = np.random.default_rng(12)
    drawn = rng.normal(size=(1500, 3)).astype(np.float32) * np.float32([1, 10, 1000])
    drawn[rng.random(drawn.shape) < 0.05] = np.nan
    return [(i, *map(float, row)) for i, row in enumerate([*grid, *drawn.tolist()])]


def onnx_runtime_scores(path: Path, given: list[tuple]) -> dict[int, float]:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(path), options,
                                           providers=["CPUExecutionProvider"])
    x = np.array([row[1:] for row in given], dtype=np.float32)
    probabilities = session.run(["probabilities"], {session.get_inputs()[0].name: x})[0]
    return {row[0]: float(p) for row, p in zip(given, probabilities[:, 1], strict=True)}


@pytest.fixture(scope="module")
def scores(models, tmp_path_factory) -> dict[str, dict[int, float]]:
    """One job: every model scores every row (a NaN feature is NULL in the table)."""
    folder = tmp_path_factory.mktemp("scores")
    given = folder / "rows.json"
    given.write_text("".join(json.dumps({"id": i, **{f"f{k}": None if math.isnan(v) else v
                                                      for k, v in enumerate(values)}}) + "\n"
                             for i, *values in rows()))
    declarations = "\n".join(f"""CREATE TEMPORARY MODEL {name}
INPUT (f0 DOUBLE, f1 DOUBLE, f2 DOUBLE) OUTPUT (score DOUBLE, model_version STRING)
WITH ('provider' = 'onnx', 'path' = '{path}', 'version' = '{name}',
      'sha256' = '{hashlib.sha256(path.read_bytes()).hexdigest()}');
""" for name, path in models.items())
    # An INSERT a model: Flink 2.2 scores a UNION ALL of ML_PREDICTs of one table with the
    # first query's model only.
    inserts = "\n".join(
        f"    INSERT INTO scores SELECT id, model_version, score FROM ML_PREDICT(TABLE given_rows,"
        f" MODEL {name}, DESCRIPTOR(f0, f1, f2));" for name in models)
    job = folder / "score_with_every_model.sql"
    job.write_text(f"""-- score_with_every_model: each row scored by each model.
CREATE TEMPORARY TABLE given_rows (id INT, f0 DOUBLE, f1 DOUBLE, f2 DOUBLE)
WITH ('connector' = 'filesystem', 'path' = '{given}', 'format' = 'json');

CREATE TEMPORARY TABLE scores (id INT, model_version STRING, score DOUBLE)
WITH ('connector' = 'filesystem', 'path' = '{folder / "out"}', 'format' = 'json');

{declarations}
EXECUTE STATEMENT SET
BEGIN
{inserts}
END;
""")
    flink_sql.run(flink_sql.build([job], load_profile("local"), {}, connectors=[],
                                  settings={"parallelism.default": "1"}))
    found: dict[str, dict[int, float]] = {name: {} for name in models}
    for part in (folder / "out").rglob("*"):
        if part.is_file() and not part.name.startswith((".", "_")):
            for line in part.read_text().splitlines():
                row = json.loads(line)
                found[row["model_version"]][row["id"]] = row["score"]
    return found


@pytest.mark.parametrize("name", ["boosted", "forest", "tree", "made_one_class",
                                  "made_two_classes", "linear"])
def test_every_row_scores_as_onnx_runtime_scores_it(models, scores, name):
    given = rows()
    expected = onnx_runtime_scores(models[name], given)
    got = scores[name]
    assert sorted(got) == sorted(expected)  # each row once
    # Sums and comparisons are ONNX Runtime's, in float, in its order: the same bits. The
    # logistic's exp is Java's, not the C library's: it may round the other way, once in
    # tens of thousands of rows, so a logistic model's score is within one float step. The
    # linear model is ONNX Runtime's in the job too, a row a call against the reference's
    # one call for all rows, whose vector arithmetic rounds differently (by 1.2e-7 here).
    allowed = {"boosted": lambda want: np.spacing(np.float32(want)),
               "made_one_class": lambda want: np.spacing(np.float32(want)),
               "linear": lambda want: 3e-7}.get(name, lambda want: 0.0)
    wrong = [(i, got[i], want) for i, want in expected.items()
             if abs(got[i] - want) > allowed(want)]
    assert not wrong, wrong[:5]
    assert len({round(s, 4) for s in got.values()}) > 8  # the scores are not all alike


def test_the_trees_are_scored_in_java_and_the_linear_model_by_onnx_runtime(models, scores):
    """Which way each model went, from the TaskManager's log: parity alone would also hold if
    every model fell back to ONNX Runtime, and the job would lose what the scorer saves."""
    logged = "".join(log.read_text(errors="replace")
                     for log in (flink_env.flink_home() / "log").glob("flink-*.log"))
    for name, path in models.items():
        way = "scored by ONNX Runtime" if name == "linear" else "scored as a tree ensemble"
        assert f"model file {path}: {way}" in logged, name
