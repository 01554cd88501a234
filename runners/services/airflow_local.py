"""Airflow on this checkout, with the local profile's defaults: metadata, connections, DAG runs.

    python runners/services/airflow_local.py run ml_pipeline_customer_churn --date 2026-01-01
    python runners/services/airflow_local.py standalone      # the UI on http://127.0.0.1:8080
    python runners/services/airflow_local.py --profile platform standalone  # its services

Airflow keeps its SQLite metadata under data/airflow (AIRFLOW_HOME, migrated on first use). The
connections the DAGs need get local defaults unless the environment already defines them:
lake_sql (DuckDB in memory, reading the lake's Parquet) and ml_metadata (the warehouse: the
local DuckDB file, or WAREHOUSE_URL's PostgreSQL). `run` calls dag.test() in this process and
prints every task's final state as JSON, then exits non-zero when the run failed.

--profile platform makes the runners the tasks start use runners/profiles/platform.toml (Kafka,
PostgreSQL, a Spark master); it refuses to start until every environment variable that profile
reads is set. The DAGs' parameter defaults and connections come from the same variables.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from runners import CHECKOUT  # noqa: E402

if str(CHECKOUT) not in sys.path:  # run as a script: runners, udfs and the DAGs import from here
    sys.path.insert(0, str(CHECKOUT))
DATA = Path(os.environ.get("SQLPLATFORM_DATA", CHECKOUT / "data"))


def warehouse_connection(url: str) -> dict:
    """An Airflow connection (as JSON fields) for a warehouse URL: duckdb:FILE or postgresql://."""
    from runners.engines.warehouse import connection_fields

    return connection_fields(url, CHECKOUT)


def profile_environment(profile: str) -> dict[str, str]:
    """What the DAGs' tasks need to use a profile: its name (the runners they start read
    SQLPLATFORM_PROFILE), once every environment variable the profile reads is set."""
    from runners.profiles import load_profile

    missing = sorted({value.env_name for value in load_profile(profile).vars.values()
                      if getattr(value, "env_name", None)})
    if missing:
        raise SystemExit(f"the {profile} profile (runners/profiles/{profile}.toml) reads "
                         f"{', '.join(missing)}: set them in the environment first")
    return {"SQLPLATFORM_PROFILE": profile}


def airflow_env(profile: str = "local", base: dict[str, str] | None = None) -> dict[str, str]:
    """Airflow's settings for this checkout, with the warehouse connections on the profile's
    warehouse_url (the one place it is defined) unless the environment names them."""
    from runners.profiles import load_profile, value_of

    env = dict(os.environ if base is None else base)
    home = Path(env.get("AIRFLOW_HOME", DATA / "airflow"))
    env.setdefault("AIRFLOW_HOME", str(home))
    env.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(CHECKOUT / "dags"))
    env.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    # Two cores: keep Airflow from starting more task processes than the machine can run.
    env.setdefault("AIRFLOW__CORE__PARALLELISM", "4")
    env.setdefault("AIRFLOW__API__HOST", "127.0.0.1")  # the UI and API on this machine only
    env.setdefault("AIRFLOW_CONN_LAKE_SQL", json.dumps({"conn_type": "duckdb"}))
    warehouse = value_of(load_profile(profile).vars, "warehouse_url")
    for conn_id in ("WAREHOUSE", "ML_METADATA"):
        env.setdefault(f"AIRFLOW_CONN_{conn_id}", json.dumps(warehouse_connection(warehouse)))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(CHECKOUT), env.get("PYTHONPATH")) if p)
    # `airflow standalone` starts its parts as `airflow ...` commands: this venv's first.
    env["PATH"] = os.pathsep.join((str(Path(sys.executable).parent), env.get("PATH", "")))
    return env


def migrate(env: dict[str, str]) -> None:
    """`airflow db migrate` once per AIRFLOW_HOME and Airflow version."""
    from importlib.metadata import version

    marker = Path(env["AIRFLOW_HOME"]) / f".migrated-{version('apache-airflow')}"
    if marker.exists():
        return
    Path(env["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    done = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"airflow db migrate failed:\n{done.stderr[-3000:]}")
    marker.touch()


def run_dag(dag_id: str, logical_date: dt.datetime, conf: dict) -> dict:
    """dag.test() in this process (its environment must come from airflow_env); the outcome."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    if dag_id not in bag.dags:
        raise SystemExit(f"no DAG {dag_id!r} in {bag.dag_folder}; import errors: "
                         f"{bag.import_errors or 'none'}")
    run = bag.dags[dag_id].test(logical_date=logical_date, run_conf=conf)
    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    return {"dag_id": dag_id, "state": str(run.state), "tasks": dict(sorted(states.items()))}


def describe() -> dict:
    """Every DAG's settings and graph, the import errors, and each file's parse time (second
    parse: the first one also pays for importing Airflow)."""
    import time

    from airflow.dag_processing.dagbag import DagBag

    folder = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    parse_seconds = {}
    for file in sorted(folder.glob("*.py")):
        DagBag(dag_folder=str(file))
        started = time.perf_counter()
        DagBag(dag_folder=str(file))
        parse_seconds[file.name] = round(time.perf_counter() - started, 3)
    bag = DagBag(dag_folder=str(folder))
    dags = {}
    for dag_id, dag in sorted(bag.dags.items()):
        args = dag.default_args
        dags[dag_id] = {
            "schedule": getattr(dag.timetable, "expression", None), "catchup": dag.catchup,
            "max_active_runs": dag.max_active_runs, "tags": sorted(dag.tags),
            "retries": args.get("retries"),
            "retry_delay_s": args["retry_delay"].total_seconds() if "retry_delay" in args else None,
            "execution_timeout_s": (args["execution_timeout"].total_seconds()
                                    if "execution_timeout" in args else None),
            "tasks": {task.task_id: {"trigger_rule": getattr(task.trigger_rule, "value",
                                                             task.trigger_rule),
                                     "downstream": sorted(task.downstream_task_ids),
                                     "teardown": task.is_teardown}
                      for task in dag.tasks},
        }
    return {"import_errors": {str(k): str(v) for k, v in bag.import_errors.items()},
            "parse_seconds": parse_seconds, "dags": dags}


def standalone(env: dict[str, str]) -> int:
    """`airflow standalone` until Ctrl-C or SIGTERM, then all of it stopped.

    Airflow runs in its own process group, so Ctrl-C reaches only this process. Airflow is asked
    first (SIGINT: it stops its parts in order), then whatever of its group is still running is
    terminated: on Ctrl-C it leaves its scheduler and the scheduler's workers behind."""
    def interrupted(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    server = subprocess.Popen([sys.executable, "-m", "airflow", "standalone"], env=env,
                              start_new_session=True)
    try:
        return server.wait()
    except KeyboardInterrupt:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        return 0
    finally:
        stop_process_group(server.pid)


def stop_process_group(group: int, grace_seconds: float = 10) -> None:
    """SIGTERM to every process of the group, then SIGKILL to any still there after the grace."""
    import time

    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(group, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace_seconds
        while time.monotonic() < deadline:
            try:
                os.killpg(group, 0)
            except ProcessLookupError:
                return
            time.sleep(0.5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default=os.environ.get("SQLPLATFORM_PROFILE", "local"),
                        help="runners/profiles/NAME.toml, for the runners the tasks start")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run one DAG once with dag.test()")
    run.add_argument("dag_id")
    run.add_argument("--date", type=dt.date.fromisoformat, default=dt.date(2026, 1, 1))
    run.add_argument("--conf", type=json.loads, default={}, help="params, as JSON")
    run.add_argument("--outcome", type=Path, help="also write the outcome's JSON to this file")
    commands.add_parser("describe", help="the DAGs' graphs, import errors and parse times")
    commands.add_parser("migrate", help="airflow db migrate, once per AIRFLOW_HOME and version")
    commands.add_parser("standalone", help="airflow standalone (scheduler, API server, UI)")
    args = parser.parse_args(argv)

    profile = profile_environment(args.profile)  # first: it names what the profile lacks
    env = {**airflow_env(args.profile), **profile}
    migrate(env)
    if args.command == "migrate":
        return 0
    if args.command == "standalone":
        return standalone(env)
    os.environ.update(env)  # before Airflow is imported: it reads its configuration then
    if args.command == "describe":
        print(json.dumps(describe(), indent=2))
        return 0
    logical = dt.datetime.combine(args.date, dt.time(2), dt.UTC)
    outcome = run_dag(args.dag_id, logical, args.conf)
    print(json.dumps(outcome, indent=2))
    if args.outcome:
        args.outcome.write_text(json.dumps(outcome, indent=2) + "\n")
    return 0 if outcome["state"] == "success" else 1


if __name__ == "__main__":
    sys.exit(main())
