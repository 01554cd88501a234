"""The demo: the seed's "use them together" architecture on the embedded defaults, in one run.

    python runners/demo.py [--events N] [--transactions N] [--customers N] [--date YYYY-MM-DD]

1. sample data: a clickstream, a transaction stream, and the churn pipeline's four sources;
2. the batch analysis: Airflow runs the ecommerce_user_behavior DAG (a Spark SQL task per file
   of sql/spark, then checks of the tables published to the DuckDB warehouse);
3. the first fraud model: a Flink SQL job (sql/flink/backfill/feature_log.sql) replays the labelled
   transactions into the feature log, and Airflow runs fraud_model_training (the Spark SQL
   training set, training, the gate, the registry, the rollout);
4. the fraud replay: the Flink SQL job (sql/flink/fraud_detection.sql) replays the transactions
   on an in-process cluster, scoring each with the deployed model, and writes its alerts, scores
   and feature log under data/;
5. the churn pipeline: Airflow runs ml_pipeline_customer_churn (raw-data checks, Spark SQL
   features, training, the F1 gate, the model registry);
6. the report: one HTML page with charts (runners/report/report.py).

The DAG runs are real Airflow runs (dag.test) recorded in data/airflow, so
`runners/services/airflow_local.py standalone` shows them in Airflow's UI afterwards. Each step
writes its output to data/demo/<step>.log; the demo prints what each step made and took, and stops
at the first step that fails, naming its log.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from runners import CHECKOUT  # noqa: E402

if str(CHECKOUT) not in sys.path:
    sys.path.insert(0, str(CHECKOUT))

from runners.engines import sqlscript  # noqa: E402
from runners.engines.warehouse import parse_url  # noqa: E402
from runners.profiles import load_profile  # noqa: E402
from runners.report import report  # noqa: E402
from runners.sample_data import (  # noqa: E402
    generate_churn,
    generate_clickstream,
    generate_transactions,
)
from runners.services import spark_connect  # noqa: E402

LOGS = CHECKOUT / "data" / "demo"


class StepFailed(Exception):
    pass


def run_logged(step: str, command: list[str], env: dict[str, str] | None = None) -> None:
    """Run a command with its output in data/demo/<step>.log; on failure, show the log's end."""
    LOGS.mkdir(parents=True, exist_ok=True)
    log = LOGS / f"{step}.log"
    with log.open("w") as out:
        done = subprocess.run(command, cwd=CHECKOUT, stdout=out, stderr=subprocess.STDOUT,
                              env={**os.environ, **(env or {})})
    if done.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-25:])
        raise StepFailed(f"{step} failed (exit {done.returncode}); its log: {log}\n{tail}")


def run_dag(dag_id: str, date: dt.date) -> dict:
    """One Airflow run of a DAG; its task states. Retries off: a demo reports a failure at once
    instead of waiting out the DAG's retry delays."""
    outcome_file = LOGS / f"{dag_id}.outcome.json"
    outcome_file.unlink(missing_ok=True)
    try:
        airflow_local = CHECKOUT / "runners" / "services" / "airflow_local.py"
        run_logged(dag_id, [sys.executable, str(airflow_local), "run",
                            dag_id, "--date", date.isoformat(), "--outcome", str(outcome_file)],
                   env={"SQLPLATFORM_TASK_RETRIES": "0"})
    except StepFailed as failure:
        if outcome_file.is_file():
            states = json.loads(outcome_file.read_text())["tasks"]
            failed = sorted(task for task, state in states.items() if state != "success")
            raise StepFailed(f"{failure}\ntasks not successful: {', '.join(failed)}") from None
        raise
    outcome = json.loads(outcome_file.read_text())
    return outcome["tasks"]


def generate_data(args: argparse.Namespace, paths: dict[str, str]) -> str:
    made = [generate_clickstream.ensure(args.events, Path(paths["events_path"]), args.seed),
            generate_transactions.ensure(args.transactions, Path(paths["transactions_path"]),
                                         args.seed, Path(paths["fraud_labels_path"]))]
    churn = generate_churn.generate(Path(paths["lake_path"]), args.date, args.customers)
    return (f"clickstream ~{args.events:,} events, transactions ~{args.transactions:,} "
            f"({'new' if any(made) else 'reused'}); churn sources for {args.date}: "
            + ", ".join(f"{source} {rows:,}" for source, rows in churn.items()))


def published_tables() -> list[str]:
    """The warehouse tables the batch's files declare (@output ... publish)."""
    return [output.table for path in sorted((CHECKOUT / "sql" / "spark").glob("*.sql"))
            for output in sqlscript.load(path).outputs if output.publish]


def batch_analysis(args: argparse.Namespace, paths: dict[str, str]) -> str:
    tasks = run_dag("ecommerce_user_behavior", args.date)
    import duckdb

    target = parse_url(paths["warehouse_url"])
    counts = []
    if isinstance(target, str):
        con = duckdb.connect(str(CHECKOUT / target), read_only=True)
        try:
            for table in published_tables():
                rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                counts.append(f"{table} {rows:,}")
        finally:
            con.close()
    return f"{len(tasks)} tasks succeeded; warehouse: " + ", ".join(counts)


def deployed_fraud_model(paths: dict[str, str]) -> dict[str, str]:
    """The registry's deployed fraud model (the DuckDB warehouse of the local profile)."""
    import duckdb

    target = parse_url(paths["warehouse_url"])
    if not isinstance(target, str):
        raise StepFailed("the demo reads the registry from a DuckDB warehouse; "
                         f"warehouse_url is {paths['warehouse_url']}")
    query = (CHECKOUT / "sql" / "airflow" / "deployed_fraud_model.sql").read_text()
    con = duckdb.connect(str(CHECKOUT / target), read_only=True)
    try:
        row = con.execute(query).fetchone()
    finally:
        con.close()
    if row is None:
        raise StepFailed("the registry holds no deployed fraud model")
    return dict(zip(("version", "model_path", "model_sha256"), row, strict=True))


def fraud_model(args: argparse.Namespace, paths: dict[str, str]) -> str:
    backfill = CHECKOUT / "sql" / "flink" / "backfill" / "feature_log.sql"
    run_logged("feature_backfill", [sys.executable, str(CHECKOUT / "runners" / "flink_sql.py"),
                                    str(backfill)])
    run_dag("fraud_model_training", args.fraud_training_date)
    daily = json.loads((Path(paths["reports_path"]) / "fraud" /
                        f"{args.fraud_training_date}.json").read_text())
    model = daily["metrics"]["model"]
    return (f"model {daily['version']} {daily['status']}: held-out F1 {model['f1']:.4f}, "
            f"precision {model['precision']:.4f}, recall {model['recall']:.4f}, PR-AUC "
            f"{model['pr_auc']:.4f} on {model['rows']:,} transactions ({model['fraud']:,} fraud)")


def fraud_replay(args: argparse.Namespace, paths: dict[str, str]) -> str:
    from runners.ml.fraud_model import job_variables

    model = deployed_fraud_model(paths)
    run_logged("fraud_replay", [sys.executable, str(CHECKOUT / "runners" / "flink_sql.py"),
                                str(CHECKOUT / "sql" / "flink" / "fraud_detection.sql"),
                                *[f"--var={name}={value}"
                                  for name, value in job_variables(model).items()]])
    alerts = Path(paths["alerts_path"])

    def lines(folder: Path) -> int:
        return sum(len(f.read_text().splitlines()) for f in folder.rglob("*")
                   if f.is_file() and not f.name.startswith((".", "_")))

    by_type = {folder.name.split("=", 1)[1]: lines(folder)
               for folder in sorted((alerts / "detector_alerts").glob("*=*"))}
    return (f"{lines(alerts / 'fraud_scores'):,} transactions scored by model {model['version']}; "
            f"{lines(alerts / 'alert_history'):,} combined alerts ("
            + ", ".join(f"{kind} {n:,}" for kind, n in by_type.items())
            + f"); {lines(alerts / 'dead_letters'):,} invalid lines and "
            f"{lines(alerts / 'late_transactions'):,} late ones set aside")


def churn_pipeline(args: argparse.Namespace, paths: dict[str, str]) -> str:
    run_dag("ml_pipeline_customer_churn", args.date)
    daily = json.loads((Path(paths["reports_path"]) / "churn" / f"{args.date}.json").read_text())
    metrics = daily["metrics"]
    return (f"model {daily['status']}: f1 {metrics['f1_score']:.4f}, precision "
            f"{metrics['precision']:.4f}, recall {metrics['recall']:.4f}, accuracy "
            f"{metrics['accuracy']:.4f} on {metrics['holdout_rows']:,} held-out customers")


def html_report(args: argparse.Namespace, paths: dict[str, str]) -> str:
    page, problems = report.build(paths)
    if problems:
        raise StepFailed("the report is missing parts:\n" + "\n".join(problems))
    out = Path(paths["reports_path"]) / "platform_report.html"
    out.write_text(page, encoding="utf-8")
    return str(out)


def start_in_background() -> dict[str, subprocess.Popen]:
    """While the sample data is generated: Airflow's metadata migration and the batch's Spark
    Connect server (the batch DAG's setup task waits for a server that is starting, and leaves
    it running for the demo to stop)."""
    LOGS.mkdir(parents=True, exist_ok=True)
    started = {}
    for name, command in (("airflow_migrate", ["airflow_local.py", "migrate"]),
                          ("spark_connect", ["spark_connect.py", "start"])):
        script = CHECKOUT / "runners" / "services" / command[0]
        if name == "spark_connect" and spark_connect.healthy():
            continue  # someone else's server: leave it alone
        with open(LOGS / f"{name}.log", "w") as log:
            started[name] = subprocess.Popen(
                [sys.executable, str(script), *command[1:]], cwd=CHECKOUT,
                stdout=log, stderr=subprocess.STDOUT)
    return started


def wait_for_warm_ups(started: dict[str, subprocess.Popen]) -> None:
    """Wait for the background starts; one that failed stops the demo, naming its log."""
    for name in list(started):
        code = started[name].wait()
        if code != 0:
            started.pop(name)
            log = LOGS / f"{name}.log"
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
            raise StepFailed(f"{name} failed (exit {code}); its log: {log}\n{tail}")


def stop_what_it_started(started: dict[str, subprocess.Popen]) -> None:
    for process in started.values():
        process.wait()  # a failed step may come before wait_for_warm_ups
    if "spark_connect" in started:
        spark_connect.stop()


STEPS: list[tuple[str, Callable[[argparse.Namespace, dict[str, str]], str]]] = [
    ("sample data", generate_data),
    ("batch analysis (Airflow: ecommerce_user_behavior)", batch_analysis),
    ("fraud model (Flink SQL backfill, Airflow: fraud_model_training)", fraud_model),
    ("fraud replay (Flink SQL)", fraud_replay),
    ("churn pipeline (Airflow: ml_pipeline_customer_churn)", churn_pipeline),
    ("report", html_report),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--transactions", type=int, default=50_000)
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--date", type=dt.date.fromisoformat, default=dt.date(2026, 1, 1),
                        help="the DAG runs' logical date, and the churn snapshot's day")
    parser.add_argument("--fraud-training-date", type=dt.date.fromisoformat,
                        default=dt.date(2026, 1, 10),
                        help="the fraud model's training run: labels known by then (the sample's "
                             "transactions are of the first days of January)")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    # The local profile's locations, absolute: the DAGs and Flink read the same ones.
    paths = dict(load_profile("local").vars)
    started = time.monotonic()
    timings = []
    warm_ups = start_in_background()
    try:
        for number, (name, step) in enumerate(STEPS, 1):
            print(f"[{number}/{len(STEPS)}] {name} ...", flush=True)
            begun = time.monotonic()
            try:
                result = step(args, paths)
                if number == 1:  # the next steps need Airflow's metadata and the Spark server
                    wait_for_warm_ups(warm_ups)
            except StepFailed as failure:
                print(f"demo stopped: {failure}", file=sys.stderr)
                return 1
            timings.append((name, time.monotonic() - begun))
            print(f"      {result}  ({timings[-1][1]:.0f} s)", flush=True)
    finally:
        stop_what_it_started(warm_ups)
    print(f"\ndemo took {time.monotonic() - started:.0f} s: "
          + ", ".join(f"{name.split(' (')[0]} {seconds:.0f} s" for name, seconds in timings))
    print(f"report: {Path(paths['reports_path']) / 'platform_report.html'}")
    print("Airflow's UI with these runs: "
          ".venv/bin/python runners/services/airflow_local.py standalone")
    return 0


if __name__ == "__main__":
    sys.exit(main())
