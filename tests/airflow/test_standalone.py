"""`runners/services/airflow_local.py standalone`: Airflow's UI comes up with the four DAGs, and
Ctrl-C stops every process it started (airflow standalone alone leaves its scheduler running)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import psutil

from tests.airflow.conftest import REPO, free_port

DAG_IDS = ["ecommerce_user_behavior", "fraud_detection_ops", "fraud_model_training",
           "ml_pipeline_customer_churn"]


def get_json(url: str, token: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as reply:
        return json.load(reply)


def wait_healthy(base: str, server: subprocess.Popen, seconds: float = 240) -> dict:
    deadline = time.monotonic() + seconds
    health: dict = {}
    while time.monotonic() < deadline:
        assert server.poll() is None, f"standalone exited with {server.returncode}"
        try:
            health = get_json(f"{base}/api/v2/monitor/health")
            if all(part.get("status") == "healthy" for part in health.values()):
                return health
        except OSError:
            pass
        time.sleep(2)
    raise AssertionError(f"not healthy after {seconds} s: {health}")


def token_for(base: str, airflow_home) -> str:
    passwords = json.loads((airflow_home / "simple_auth_manager_passwords.json.generated")
                           .read_text())
    user, password = next(iter(passwords.items()))
    request = urllib.request.Request(
        f"{base}/auth/token", data=json.dumps({"username": user, "password": password}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as reply:
        return json.load(reply)["access_token"]


def test_ui_serves_the_dags_and_ctrl_c_stops_everything(local_airflow):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**local_airflow.env, "AIRFLOW__API__PORT": str(port),
           "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base}/execution/"}
    server = subprocess.Popen(
        [sys.executable, str(REPO / "runners" / "services" / "airflow_local.py"), "standalone"],
        cwd=REPO,
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        # A terminal's Ctrl-C: this test's own SIGINT handling must not be inherited.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    started = []
    try:
        wait_healthy(base, server)
        started = psutil.Process(server.pid).children(recursive=True)
        names = " ".join(" ".join(p.cmdline()) for p in started)
        assert all(part in names for part in ("scheduler", "dag-processor", "triggerer",
                                              "api_server")), names
        token = token_for(base, local_airflow.root / "airflow")
        deadline = time.monotonic() + 120  # the DAG processor's first pass over the folder
        while time.monotonic() < deadline:
            dags = get_json(f"{base}/api/v2/dags", token)
            if len(dags["dags"]) >= len(DAG_IDS):
                break
            time.sleep(2)
        assert sorted(d["dag_id"] for d in dags["dags"]) == DAG_IDS
        assert get_json(f"{base}/api/v2/importErrors", token)["total_entries"] == 0

        stopping = time.monotonic()
        os.killpg(server.pid, signal.SIGINT)  # Ctrl-C: to the terminal's foreground group
        assert server.wait(timeout=90) == 0
        assert time.monotonic() - stopping < 90
        left = [p for p in started if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        assert left == [], [" ".join(p.cmdline()) for p in left]
    finally:
        if server.poll() is None:
            server.kill()
        for process in started:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
