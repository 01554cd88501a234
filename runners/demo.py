"""The demo: sample data, then the whole batch analysis, on the embedded defaults.

    python runners/demo.py [--events N]

Generates the clickstream (once per size and seed), runs every file of sql/spark in dependency
order on local Spark, publishes to the DuckDB warehouse, and prints what landed where.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from runners import generate_clickstream, spark_sql  # noqa: E402
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
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
    print(f"\nlake: {profile.vars['lake_path']}   demo took {time.monotonic() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
