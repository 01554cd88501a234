"""The fraud model's gate on both sides of each of its two lines: the held-out F1 reaches
min_f1 (0.5), and is not under the deployed model's by more than max_f1_drop (0.0).

The DAG file is loaded in a process of its own (here, tests/airflow would shadow the airflow
package), afresh each run, so the mutation check's changed file is the one tested; the DAG's
runs of both paths are in test_fraud_model_dag.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# (f1, deployed_f1, min_f1, max_f1_drop); None: the DAG's default parameter.
CASES = [
    (0.5, None, None, None), (0.4999, None, None, None), (0.55, None, None, None),
    (0.45, None, None, None),
    (0.8, 0.8, None, None), (0.7999, 0.8, None, None), (0.85, 0.8, None, None),
    (0.75, 0.8, None, None), (0.95, 0.9, None, None),
    (0.71, 0.8, 0.5, 0.1), (0.69, 0.8, 0.5, 0.1), (0.6, 0.6, 0.6, 0.0),
]
PROBE = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("fraud_dag", "dags/fraud_model_training.py")
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
params = module.fraud_dag.params
cases = json.loads(sys.argv[1])
print(json.dumps([module.passes_gate(f1, deployed,
                                     params["min_f1"] if gate is None else gate,
                                     params["max_f1_drop"] if drop is None else drop)
                  for f1, deployed, gate, drop in cases]))
"""


@pytest.fixture(scope="module")
def decisions() -> dict[tuple, bool]:
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(CASES)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(zip(map(tuple, CASES), json.loads(done.stdout.splitlines()[-1]), strict=True))


@pytest.mark.parametrize("f1, passes", [(0.5, True), (0.4999, False), (0.55, True),
                                        (0.45, False)])
def test_the_first_model_passes_from_an_f1_of_half(decisions, f1, passes):
    assert decisions[(f1, None, None, None)] is passes


@pytest.mark.parametrize("f1, deployed_f1, passes", [
    (0.8, 0.8, True), (0.7999, 0.8, False), (0.85, 0.8, True), (0.75, 0.8, False),
    (0.95, 0.9, True)])
def test_a_model_may_not_be_worse_than_the_deployed_one(decisions, f1, deployed_f1, passes):
    assert decisions[(f1, deployed_f1, None, None)] is passes


@pytest.mark.parametrize("f1, deployed_f1, min_f1, drop, passes", [
    (0.71, 0.8, 0.5, 0.1, True), (0.69, 0.8, 0.5, 0.1, False), (0.6, 0.6, 0.6, 0.0, True)])
def test_the_lines_are_parameters(decisions, f1, deployed_f1, min_f1, drop, passes):
    assert decisions[(f1, deployed_f1, min_f1, drop)] is passes
