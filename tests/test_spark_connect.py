"""The local Spark Connect server's command (runners/services/spark_connect.py): it starts,
answers on 127.0.0.1 only, keeps its PID file and log under data/, and stops; without a server,
the runner says so at once instead of retrying."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def command(script: str, *args: str, port: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "runners" / script), *args], cwd=REPO,
                          env={**os.environ, "SPARK_CONNECT_PORT": str(port)},
                          capture_output=True, text=True, timeout=300)


def test_the_server_starts_on_loopback_answers_and_stops():
    port = free_port()
    home = REPO / "data" / f"spark-connect-{port}"
    started = command("services/spark_connect.py", "start", port=port)
    try:
        assert started.returncode == 0, started.stderr
        assert started.stdout.strip() == f"sc://127.0.0.1:{port}"
        status = command("services/spark_connect.py", "status", port=port)
        assert (status.returncode, status.stdout.strip()) == (
            0, f"sc://127.0.0.1:{port} answers")
        pid_files = list(home.glob("*.pid"))
        assert len(pid_files) == 1 and list(home.glob("*.out"))
        server = psutil.Process(int(pid_files[0].read_text()))
        listening = {c.laddr.ip for c in server.net_connections("inet")
                     if c.status == psutil.CONN_LISTEN and c.laddr.port == port}
        assert listening and listening <= {"127.0.0.1", "::ffff:127.0.0.1"}, listening
    finally:
        stopped = command("services/spark_connect.py", "stop", port=port)
    assert stopped.returncode == 0, stopped.stderr
    assert not server.is_running() or server.status() == psutil.STATUS_ZOMBIE
    assert not list(home.glob("*.pid"))
    status = command("services/spark_connect.py", "status", port=port)
    assert (status.returncode, status.stdout.strip()) == (
        1, f"sc://127.0.0.1:{port} is not running")
    shutil.rmtree(home)  # its log only; kept when the test fails


def test_without_a_server_the_runner_stops_at_once_and_says_how_to_start_one():
    port = free_port()
    done = command("spark_sql.py", str(REPO / "sql" / "spark" / "segments.sql"), "--remote",
                   f"sc://127.0.0.1:{port}", port=port)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"error: no Spark Connect server answers at sc://127.0.0.1:{port}; start a local one "
        "with `python runners/services/spark_connect.py start`")
