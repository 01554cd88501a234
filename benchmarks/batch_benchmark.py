"""Benchmark the batch analysis: our SQL files against the seed's DataFrame program and DuckDB.

    python benchmarks/batch_benchmark.py --events 1000000 10000000

For each size it generates the clickstream once (reused on later runs), then runs, each as a
whole process on the same files in the same run:
- sql:    runners/spark_sql.py sql/spark, publishing to PostgreSQL (the seed's warehouse kind);
- seed:   benchmarks/seed_dataframe.py, the seed's program with only its crash fixes;
- duckdb: benchmarks/duckdb_batch.py, the non-ML steps on DuckDB.
Each engine runs --repeat times, interleaved; it prints the median wall time (and every run's),
events/s, events/s per core and the peak memory of the process tree, and where the time of the
median run went (Spark start, each file, publishing).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from runners import local_postgres  # noqa: E402
from runners.generate_clickstream import ensure  # noqa: E402

BENCH_DIR = REPO / "data" / "bench"
CORES = os.cpu_count() or 1


def measure(command: list[str]) -> dict:
    """Run a command; return wall seconds, CPU seconds and peak RSS of its process tree (sampled
    every 0.2 s, so a process's last 0.2 s of CPU can be missed), and its TIMINGS."""
    started = time.monotonic()
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    root = psutil.Process(proc.pid)
    peak = 0
    cpu: dict[int, float] = {}
    while proc.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
            for member in tree:
                times = member.cpu_times()
                cpu[member.pid] = times.user + times.system
        except psutil.Error:
            pass
        time.sleep(0.2)
    stdout, stderr = proc.communicate()
    wall = time.monotonic() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{stderr[-3000:]}")
    timings = next((json.loads(line[len("TIMINGS "):]) for line in stdout.splitlines()
                    if line.startswith("TIMINGS ")), {})
    return {"wall": wall, "cpu": sum(cpu.values()), "peak_mb": peak / 2**20, "timings": timings}


def median_run(runs: list[dict]) -> dict:
    return sorted(runs, key=lambda r: r["wall"])[len(runs) // 2]


def row_count(path: Path) -> int:
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(f).metadata.num_rows for f in path.glob("*.parquet"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--only", choices=["sql", "seed", "duckdb"], action="append")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per engine, interleaved; the median is reported")
    args = parser.parse_args(argv)
    engines = args.only or ["sql", "seed", "duckdb"]
    warehouse = local_postgres.start()
    python = sys.executable
    print(f"machine: {CORES} cores; warehouse {warehouse}")
    for size in args.events:
        events_path = BENCH_DIR / f"events-{size}"
        ensure(size, events_path, seed=1)
        n = row_count(events_path)
        work = BENCH_DIR / f"run-{size}"
        commands = {
            "sql": [python, "runners/spark_sql.py", "sql/spark", "--timings", "--show", "0",
                    "--var", f"events_path={events_path}", "--var", f"lake_path={work}/sql",
                    "--var", f"warehouse_url={warehouse}"],
            "seed": [python, "benchmarks/seed_dataframe.py", str(events_path),
                     str(work / "seed"), warehouse],
            "duckdb": [python, "benchmarks/duckdb_batch.py", str(events_path),
                       str(work / "duckdb")],
        }
        runs: dict[str, list[dict]] = {engine: [] for engine in engines}
        for _ in range(args.repeat):  # interleaved, so drift in the machine hits all engines
            for engine in engines:
                shutil.rmtree(work / engine, ignore_errors=True)
                runs[engine].append(measure(commands[engine]))
        results = {engine: median_run(r) for engine, r in runs.items()}
        print(f"\n{n:,} events, median of {args.repeat} run(s)")
        print(f"{'engine':<8} {'wall s':>8} {'all runs s':>20} {'events/s':>12} {'ev/s/core':>11} "
              f"{'peak MB':>9}")
        for engine, r in results.items():
            rate = n / r["wall"]
            every = "/".join(f"{x['wall']:.0f}" for x in runs[engine])
            print(f"{engine:<8} {r['wall']:>8.1f} {every:>20} {rate:>12,.0f} "
                  f"{rate / CORES:>11,.0f} {max(x['peak_mb'] for x in runs[engine]):>9,.0f}")
        if "sql" in results and "seed" in results:
            print(f"sql / seed wall time: {results['sql']['wall'] / results['seed']['wall']:.2f}")
        for engine, r in results.items():
            if r["timings"]:
                phases = ", ".join(f"{k} {v:.1f}s" for k, v in r["timings"].items())
                print(f"{engine} phases: {phases}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
