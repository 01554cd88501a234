"""The churn DAG's deployment gate on both sides of its line (the seed: f1 >= 0.75 deploys).

The DAG file is loaded in a process of its own (here, tests/airflow would shadow the airflow
package), afresh each run, so the mutation check's changed file is the one tested; dag.test()
runs of both paths are in test_churn_dag.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
F1_CASES = [(0.75, None), (0.7499, None), (0.7501, None), (0.8, 0.8), (0.7999, 0.8), (0.0, 0.0)]
PROBE = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("churn_dag", "dags/ml_pipeline_customer_churn.py")
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
default = module.churn_dag.params["min_f1"]
cases = json.loads(sys.argv[1])
print(json.dumps([module.passes_gate(f1, default if gate is None else gate) for f1, gate in cases]))
"""


@pytest.fixture(scope="module")
def decisions() -> dict[tuple, bool]:
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(F1_CASES)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(zip(F1_CASES, json.loads(done.stdout.splitlines()[-1]), strict=True))


@pytest.mark.parametrize("f1, deployed", [(0.75, True), (0.7499, False), (0.7501, True)])
def test_the_default_gate_is_the_seeds(decisions, f1, deployed):
    assert decisions[(f1, None)] is deployed


@pytest.mark.parametrize("f1, min_f1, deployed", [(0.8, 0.8, True), (0.7999, 0.8, False),
                                                  (0.0, 0.0, True)])
def test_an_f1_exactly_at_the_gate_passes(decisions, f1, min_f1, deployed):
    assert decisions[(f1, min_f1)] is deployed
