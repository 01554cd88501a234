"""The demo: sample data, the whole batch analysis, then the fraud job, on the embedded defaults.

    python runners/demo.py [--events N] [--transactions N]

Generates the clickstream and a transaction stream (once per size and seed), runs every file of
sql/spark in dependency order on local Spark and publishes to the DuckDB warehouse, then replays
the transactions through the Flink fraud job (sql/flink) on an in-process cluster, and prints
what landed where: warehouse tables, and alerts by type.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from runners import flink_sql, generate_clickstream, generate_transactions, spark_sql  # noqa: E402
from runners.profiles import load_profile  # noqa: E402
from runners.warehouse import parse_url  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def summarize(warehouse_url: str) -> None:
    target = parse_url(warehouse_url)
    if not isinstance(target, str):
        print(f"published to {warehouse_url}")
        return
    import duckdb

    con = duckdb.connect(target, read_only=True)
    try:
        print(f"\nwarehouse {target}:")
        for (table,) in con.execute("SELECT table_name FROM information_schema.tables "
                                    "ORDER BY table_name").fetchall():
            count = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            print(f"  {table:<26} {count:>8,} rows")
    finally:
        con.close()


def summarize_alerts(alerts_path: Path) -> None:
    def lines(folder: Path) -> int:
        return sum(len(f.read_text().splitlines()) for f in folder.rglob("*")
                   if f.is_file() and not f.name.startswith((".", "_")))

    print(f"\nalerts in {alerts_path}:")
    for folder in sorted((alerts_path / "detector_alerts").glob("*=*")):
        print(f"  {folder.name.split('=', 1)[1]:<26} {lines(folder):>8,} detector alerts")
    for sink, what in [("alert_history", "combined alerts"),
                       ("fraud_alerts", "combined alerts with risk > 0.7 (Kafka's share)"),
                       ("dead_letters", "invalid lines"),
                       ("late_transactions", "late transactions")]:
        print(f"  {sink:<26} {lines(alerts_path / sink):>8,} {what}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--transactions", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    started = time.monotonic()
    profile = load_profile("local")
    events_path = Path(profile.vars["events_path"])
    made = generate_clickstream.ensure(args.events, events_path, args.seed)
    print(f"{'generated' if made else 'reusing'} sample data in {events_path}")
    code = spark_sql.main([str(REPO / "sql" / "spark")])
    if code != 0:
        return code
    summarize(profile.vars["warehouse_url"])
    print(f"lake: {profile.vars['lake_path']}")

    transactions_path = Path(profile.vars["transactions_path"])
    made = generate_transactions.ensure(args.transactions, transactions_path, args.seed)
    print(f"\n{'generated' if made else 'reusing'} transactions in {transactions_path}")
    code = flink_sql.main([str(REPO / "sql" / "flink" / "fraud_detection.sql")])
    if code != 0:
        return code
    summarize_alerts(Path(profile.vars["alerts_path"]))
    print(f"\ndemo took {time.monotonic() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
