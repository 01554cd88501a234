"""Run the fraud job on hand-written transactions and read back what each sink received.

Like Confluent's Flink SQL tutorials: given input rows, run the job's SQL files as they are,
and compare the rows that come out as unordered sets. One run serves a whole test module (a
Flink job costs tens of seconds to start), so each test case uses its own user ids.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from runners.engines import flink_sql
from runners.profiles import load_profile

REPO = Path(__file__).resolve().parents[2]
JOB_FILE = REPO / "sql" / "flink" / "fraud_detection.sql"
SINKS = ("fraud_alerts", "alert_history", "detector_alerts", "dead_letters", "late_transactions")
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z, a minute boundary


@dataclass
class JobOutput:
    rows: dict[str, list[dict]]


def txn(transaction_id: str, user: str, seconds: float, amount: float = 20.0, *,
        category: str = "GROCERY", lat: float = 40.7128, lon: float = -74.006) -> dict:
    """A seed Transaction at T0 + seconds."""
    return {"transactionId": transaction_id, "userId": user, "cardNumber": "4000000000000002",
            "amount": amount, "merchantId": "M1", "merchantCategory": category,
            "location": "somewhere", "latitude": lat, "longitude": lon,
            "timestamp": T0 + round(seconds * 1000)}


def run_job(tmp: Path, lines: list[str | dict], parallelism: int = 2) -> JobOutput:
    """Replay the lines, in this order, through the whole job; return every sink's rows."""
    source = tmp / "transactions"
    source.mkdir(parents=True)
    (source / "transactions.jsonl").write_text(
        "".join((json.dumps(x) if isinstance(x, dict) else x) + "\n" for x in lines))
    alerts = tmp / "alerts"
    flink_sql.run(flink_sql.build(
        [JOB_FILE], load_profile("local"),
        {"transactions_path": str(source), "alerts_path": str(alerts)},
        settings={"parallelism.default": str(parallelism)}))
    return JobOutput({sink: read_sink(alerts / sink) for sink in SINKS})


def read_sink(folder: Path) -> list[dict]:
    """Rows of a file sink; a partition folder's value (name=value) is added to its rows."""
    rows = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.name.startswith((".", "_")):
            continue
        partition = dict(p.split("=", 1) for p in path.relative_to(folder).parts[:-1] if "=" in p)
        rows += [{**json.loads(line), **partition} for line in path.read_text().splitlines()
                 if line.strip()]
    return rows
