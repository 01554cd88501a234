"""A local Spark Connect server: `python runners/services/spark_connect.py start|status|stop`.

One warm Spark for many runs: the demo's and the DAG's batch files, and the CLI with
`--remote sc://127.0.0.1:15002` (or SPARK_REMOTE). It is the pyspark wheel's own server
(sbin/start-connect-server.sh), started with the profile's [spark] settings and the JDBC jars,
bound to 127.0.0.1 on SPARK_CONNECT_PORT (default 15002, Spark Connect's own), its PID file and
log under data/spark-connect-PORT/. Relative paths in the
profile are taken from the checkout, which is the server's working folder too.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `runners` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from runners import CHECKOUT  # noqa: E402
from runners.profiles import load_profile  # noqa: E402

HOST = "127.0.0.1"
DEFAULT_PORT = 15002  # Spark Connect's: a URL or a connection without a port means this one
PORT = int(os.environ.get("SPARK_CONNECT_PORT", DEFAULT_PORT))
HOME = CHECKOUT / "data" / f"spark-connect-{PORT}"
SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"
IDENT = "sqlplatform"  # spark-daemon.sh names the PID file with it (default: $USER)


class SparkConnectUnavailable(RuntimeError):
    pass


def url() -> str:
    return f"sc://{HOST}:{PORT}"


def url_of_connection(connection) -> str:
    """An Airflow connection (host, port; the password as the bearer token; extra use_ssl) as a
    Spark Connect URL: how a DAG names a cluster's endpoint in the platform profile."""
    params = [f"token={connection.password}"] if connection.password else []
    extra = connection.extra_dejson if hasattr(connection, "extra_dejson") else {}
    params += [f"{key}={value}" for key, value in sorted(extra.items())]
    tail = "/;" + ";".join(params) if params else ""
    return f"sc://{connection.host}:{connection.port or DEFAULT_PORT}{tail}"


def _spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


def _daemon_env() -> dict[str, str]:
    return {**os.environ, "SPARK_HOME": str(_spark_home()), "SPARK_PID_DIR": str(HOME),
            "SPARK_LOG_DIR": str(HOME), "SPARK_IDENT_STRING": IDENT,
            # The server's Python workers (UDFs) use this environment's interpreter.
            "PYSPARK_PYTHON": sys.executable, "SPARK_LOCAL_IP": HOST}


def pid_file() -> Path:
    return HOME / f"spark-{IDENT}-{SERVER_CLASS}-1.pid"


def log_file() -> Path:
    found = sorted(HOME.glob(f"spark-{IDENT}-{SERVER_CLASS}-1-*.out"))
    return found[-1] if found else HOME


def _answers(host: str = HOST, port: int = PORT, timeout: float = 1.0) -> bool:
    with socket.socket() as probe:
        probe.settimeout(timeout)
        try:
            return probe.connect_ex((host, port)) == 0
        except OSError:  # a name that does not resolve
            return False


def reachable(remote: str) -> bool:
    """True when something accepts connections at an sc://HOST:PORT/... URL's address. The
    Connect client itself retries an absent server for minutes before it gives up."""
    address = remote.removeprefix("sc://").split("/", 1)[0]
    host, _, port = address.rpartition(":")
    if not host:
        host, port = address, DEFAULT_PORT
    return _answers(host.strip("[]"), int(port), timeout=3.0)


def healthy() -> bool:
    """True when the server answers a query: `SELECT 1` through a Connect session."""
    if not _answers():
        return False
    # Connect's own builder: pyspark's generic one marks the whole process as a Connect client,
    # after which Spark in this process (a test's, say) no longer works.
    from pyspark.sql.connect.session import SparkSession

    try:
        session = SparkSession.builder.remote(url()).create()
        try:
            return session.sql("SELECT 1 AS ok").collect()[0][0] == 1
        finally:
            session.stop()
    except Exception:
        return False


def server_conf(profile: str = "local") -> dict[str, str]:
    """The server's settings: the runner's Spark settings for the profile, on loopback."""
    from runners.engines.spark_sql import spark_conf

    conf = spark_conf(load_profile(profile), master=None)
    conf.update({"spark.connect.grpc.binding.address": HOST,
                 "spark.connect.grpc.binding.port": str(PORT),
                 "spark.app.name": "sqlplatform Spark Connect"})
    return conf


def start(profile: str = "local", timeout: float = 120.0) -> bool:
    """A healthy local server by the time this returns: the one that answers, one still starting
    (its PID file's process is alive: wait for it), or a new one. True only when this call
    launched it, so a caller stops only what it started."""
    if healthy():
        return False
    launching = not _alive()
    if launching:
        if _answers():
            raise SparkConnectUnavailable(f"{HOST}:{PORT} is taken by something that is not a "
                                          "Spark Connect server")
        _launch(profile)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive():
            raise SparkConnectUnavailable(f"the Spark Connect server exited; see {log_file()}")
        if healthy():
            return launching
        time.sleep(1)
    if launching:
        stop()
    raise SparkConnectUnavailable(f"the Spark Connect server did not answer in {timeout:.0f}s; "
                                  f"see {log_file()}")


def _launch(profile: str) -> None:
    HOME.mkdir(parents=True, exist_ok=True)
    command = [str(_spark_home() / "sbin" / "start-connect-server.sh")]
    for key, value in server_conf(profile).items():
        if key == "spark.jars":
            command += ["--jars", value]
        else:
            command += ["--conf", f"{key}={value}"]
    done = subprocess.run(command, cwd=CHECKOUT, env=_daemon_env(), capture_output=True, text=True)
    if done.returncode != 0:
        raise SparkConnectUnavailable(f"start-connect-server.sh failed: {done.stderr.strip()}")


def _pid() -> int | None:
    try:
        return int(pid_file().read_text().strip())
    except (OSError, ValueError):
        return None


def _alive() -> bool:
    pid = _pid()
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def stop(timeout: float = 30.0) -> None:
    """Stop the server this module started (by its PID file); wait until its port closes."""
    if _pid() is None:
        return
    subprocess.run([str(_spark_home() / "sbin" / "stop-connect-server.sh")], cwd=CHECKOUT,
                   env=_daemon_env(), capture_output=True, text=True)
    deadline = time.monotonic() + timeout
    while _answers() and time.monotonic() < deadline:
        time.sleep(0.5)
    pid_file().unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="spark_connect.py", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["start", "status", "stop"])
    parser.add_argument("--profile", default=os.environ.get("SQLPLATFORM_PROFILE", "local"))
    args = parser.parse_args(argv)
    if args.action == "start":
        try:
            start(args.profile)
            print(url())
        except SparkConnectUnavailable as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    elif args.action == "status":
        ok = healthy()
        print(f"{url()} {'answers' if ok else 'is not running'}")
        return 0 if ok else 1
    else:
        stop()
        print("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
