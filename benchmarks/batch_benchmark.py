"""Benchmark the batch analysis: our SQL files against the seed's DataFrame program and DuckDB.

    python benchmarks/batch_benchmark.py --events 1000000 10000000

For each size it generates the clickstream once (reused on later runs), then runs, each as a
whole process on the same files in the same run:
- sql:     runners/spark_sql.py sql/spark, Spark in its process, publishing to PostgreSQL (the
           seed's warehouse kind);
- connect: the same with --remote, on a Spark Connect server that is already warm: started
           with the same settings before the runs (runners/services/spark_connect.py), and given
           one run of its own first, not counted;
- seed:    benchmarks/seed_dataframe.py, the seed's program with only its crash fixes;
- duckdb:  benchmarks/duckdb_batch.py, the non-ML steps on DuckDB.
Each engine runs --repeat times, interleaved; it prints the median wall time (and every run's),
events/s, events/s per core and the peak memory of the process tree (for connect, the client's;
the server's is printed apart), and where the time of the median run went (Spark start, each
file, publishing). Then, on the first size, one file as a user runs it:
`runners/spark_sql.py sql/spark/segments.sql` (with the two files it needs), in-process and on
the warm server.
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

from runners.sample_data.generate_clickstream import ensure  # noqa: E402
from runners.services import local_postgres, spark_connect  # noqa: E402

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


def batch_command(events_path: Path, lake: Path, warehouse: str, *more: str) -> list[str]:
    return [sys.executable, "runners/spark_sql.py", "sql/spark", "--timings", "--show", "0",
            "--var", f"events_path={events_path}", "--var", f"lake_path={lake}",
            "--var", f"warehouse_url={warehouse}", *more]


def median_run(runs: list[dict]) -> dict:
    return sorted(runs, key=lambda r: r["wall"])[len(runs) // 2]


def row_count(path: Path) -> int:
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(f).metadata.num_rows for f in path.glob("*.parquet"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--only", choices=["sql", "connect", "seed", "duckdb"], action="append")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per engine, interleaved; the median is reported")
    args = parser.parse_args(argv)
    engines = args.only or ["sql", "connect", "seed", "duckdb"]
    warehouse = local_postgres.start()
    python = sys.executable
    print(f"machine: {CORES} cores; warehouse {warehouse}")
    server = None
    if "connect" in engines:
        spark_connect.stop()  # a server of another checkout or setting would not compare
        t0 = time.monotonic()
        spark_connect.start()
        remote = spark_connect.url()
        server = psutil.Process(int(spark_connect.pid_file().read_text()))
        print(f"Spark Connect server {remote} up in {time.monotonic() - t0:.1f}s")
    for size in args.events:
        events_path = BENCH_DIR / f"events-{size}"
        ensure(size, events_path, seed=1)
        n = row_count(events_path)
        work = BENCH_DIR / f"run-{size}"
        commands = {
            "sql": batch_command(events_path, work / "sql", warehouse),
            "connect": batch_command(events_path, work / "connect", warehouse,
                                     "--remote", spark_connect.url()),
            "seed": [python, "benchmarks/seed_dataframe.py", str(events_path),
                     str(work / "seed"), warehouse],
            "duckdb": [python, "benchmarks/duckdb_batch.py", str(events_path),
                       str(work / "duckdb")],
        }
        if "connect" in engines:  # warm: the runs below are each the server's second or later
            measure(commands["connect"])
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
        for engine in ("sql", "connect"):
            if engine in results and "seed" in results:
                print(f"{engine} / seed wall time: "
                      f"{results[engine]['wall'] / results['seed']['wall']:.2f}")
        if server is not None:
            print(f"Spark Connect server: {server.memory_info().rss / 2**20:,.0f} MB resident")
        for engine, r in results.items():
            if r["timings"]:
                phases = ", ".join(f"{k} {v:.1f}s" for k, v in r["timings"].items())
                print(f"{engine} phases: {phases}")
        if size == args.events[0]:
            one_file(events_path, work, warehouse, args.repeat, with_server=server is not None)
    if server is not None:
        spark_connect.stop()
    return 0


def one_file(events_path: Path, work: Path, warehouse: str, repeat: int,
             with_server: bool) -> None:
    """`spark_sql.py sql/spark/segments.sql` as a user types it, whole processes, interleaved."""
    command = [sys.executable, "runners/spark_sql.py", "sql/spark/segments.sql", "--show", "0",
               "--var", f"events_path={events_path}", "--var", f"lake_path={work}/one_file",
               "--var", f"warehouse_url={warehouse}"]
    modes = {"in-process": command}
    if with_server:
        modes["connect (warm)"] = [*command, "--remote", spark_connect.url()]
    runs: dict[str, list[float]] = {mode: [] for mode in modes}
    for _ in range(repeat):
        for mode, argv in modes.items():
            runs[mode].append(measure(argv)["wall"])
    print("\nsql/spark/segments.sql (and the 2 files it needs), whole process, wall s")
    for mode, walls in runs.items():
        every = "/".join(f"{w:.1f}" for w in walls)
        print(f"{mode:<15} {sorted(walls)[len(walls) // 2]:>6.1f}   ({every})")


if __name__ == "__main__":
    sys.exit(main())
