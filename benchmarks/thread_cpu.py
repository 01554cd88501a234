"""The CPU of each thread of one fraud-benchmark run, grouped by thread name.

    python benchmarks/thread_cpu.py sql/flink/fraud_detection.sql@rules \\
        data/bench/transactions-1100000

Runs the query as fraud_benchmark.py does (a whole process, the file source, blackhole sinks)
and reads /proc/<pid>/task/*/stat of every process of its session once a second; a thread's
CPU is its last reading. Names are grouped with their digits blanked (both subtasks of an
operator chain together). What JFR does not show: threads in native code (ONNX Runtime), the
JIT compiler, and the Python workers.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from runners.engines import flink_env  # noqa: E402

if __name__ == "__main__":  # started from the main environment: go on in the Flink one
    flink_env.hand_over(__file__, sys.argv[1:])

from benchmarks.fraud_benchmark import sql_command  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def session_threads(session: int) -> dict[tuple[str, str], tuple[str, float]]:
    """(pid, tid) -> (thread name, CPU-seconds so far) of every thread in the session."""
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.getsid(int(pid)) != session:
                continue
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
            except OSError:
                continue
            name = stat[stat.index("(") + 1:stat.rindex(")")]
            fields = stat[stat.rindex(")") + 2:].split()  # from field 3, state, on
            utime, stime = int(fields[11]), int(fields[12])  # proc(5): fields 14 and 15
            found[(pid, tid)] = (name, (utime + stime) / TICKS)
    return found


def main(argv: list[str]) -> int:
    query, data = argv
    job = subprocess.Popen(sql_command(query, "file", {"transactions_path": data}), cwd=REPO,
                           start_new_session=True)
    last: dict[tuple[str, str], tuple[str, float]] = {}
    while job.poll() is None:
        last.update(session_threads(job.pid))
        time.sleep(1)
    groups: dict[str, float] = defaultdict(float)
    for name, cpu in last.values():
        groups[re.sub(r"[0-9]+", "#", name)] += cpu
    total = sum(groups.values())
    print(f"{query}: {total:.1f} CPU-s in all (exit {job.returncode})")
    for name, cpu in sorted(groups.items(), key=lambda item: -item[1])[:15]:
        print(f"{cpu:8.1f} {100 * cpu / total:5.1f}%  {name}")
    return job.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
