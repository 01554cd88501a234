"""The Flink SQL client runs the rendered job on a standalone cluster started from the wheel.

As docs/fraud-detection.md shows: start-cluster.sh, `flink_sql.py --render`, `sql-client.sh -f`. The
hand-written detector cases go in; the detector alerts must equal the seed rules'.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from runners.engines import flink_sql
from tests.flink import seed_rules
from tests.flink.conftest import FLINK_HOME, flink_rest
from tests.flink.harness import read_sink
from tests.flink.model_reference import fraud_test_model
from tests.flink.test_detectors import _cases
from tests.flink.test_fraud_end_to_end import alert_set


def test_the_sql_client_runs_the_job(flink_cluster, tmp_path):
    lines = [x if isinstance(x, str) else json.dumps(x) for x in _cases()]
    source, alerts = tmp_path / "transactions", tmp_path / "alerts"
    source.mkdir()
    (source / "transactions.jsonl").write_text("".join(line + "\n" for line in lines))
    script = tmp_path / "fraud.sql"
    rendered = io.StringIO()
    with contextlib.redirect_stdout(rendered):
        job_file = flink_sql.CHECKOUT / "sql/flink/fraud_detection.sql"
        code = flink_sql.main([str(job_file), "--render",
                               "--parallelism", "1", "--var", f"transactions_path={source}",
                               "--var", f"alerts_path={alerts}",
                               "--var", f"fraud_features_path={tmp_path / 'features'}",
                               *[f"--var={name}={value}" for name, value
                                 in fraud_test_model().job_variables().items()]])
    assert code == 0
    script.write_text(rendered.getvalue())
    client = subprocess.run([str(FLINK_HOME / "bin" / "sql-client.sh"), "-f", str(script)],
                            env={**flink_cluster, "PATH": f"{Path(sys.executable).parent}:"
                                                    f"{os.environ['PATH']}"},
                            capture_output=True, text=True, timeout=300)
    job = re.search(r"Job ID: ([0-9a-f]{32})", client.stdout)
    assert client.returncode == 0 and job, client.stdout[-3000:] + client.stderr[-3000:]
    deadline = time.monotonic() + 240
    while (state := flink_rest(f"/jobs/{job.group(1)}")["state"]) not in ("FINISHED", "FAILED"):
        assert time.monotonic() < deadline, f"job still {state}"
        time.sleep(2)
    assert state == "FINISHED"
    expected = seed_rules.expected_of_job(lines, fraud_test_model().alerts())
    assert alert_set(read_sink(alerts / "detector_alerts")) \
        == alert_set(expected["detector_alerts"])
