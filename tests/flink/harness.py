"""Run the fraud job on hand-written transactions and read back what each sink received.

Like Confluent's Flink SQL tutorials: given input rows, run the job's SQL files as they are,
and compare the rows that come out as unordered sets. One run serves a whole test module (a
Flink job costs tens of seconds to start), so each test case uses its own user ids.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from runners.engines import flink_sql
from runners.profiles import load_profile
from tests.flink.model_reference import fraud_test_model

REPO = Path(__file__).resolve().parents[2]
JOB_FILE = REPO / "sql" / "flink" / "fraud_detection.sql"
SINKS = ("fraud_alerts", "alert_history", "detector_alerts", "dead_letters", "late_transactions",
         "fraud_scores", "feature_log")
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


# The mutation check's fast path (tests/mutants.py, tests/flink/schemata.py): a JSON file of
# variants of the job's files, and the one whose rows run_job returns.
SCHEMATA = "SQLPLATFORM_MUTANT_SCHEMATA"
VARIANT = "SQLPLATFORM_MUTANT_VARIANT"
CHUNK = 40  # variants per Flink job (each costs about 2 s of planning; a job, about 20 s more)
_variant_outputs: dict[tuple, list[JobOutput]] = {}


def run_job(tmp: Path, lines: list[str | dict], parallelism: int = 2,
            variables: dict[str, str] | None = None) -> JobOutput:
    """Replay the lines, in this order, through the whole job, with the tests' fraud model
    (model_reference.fraud_test_model) and these variables; return every sink's rows (the
    feature log's under feature_log)."""
    variables = {**fraud_test_model().job_variables(), **(variables or {})}
    if os.environ.get(SCHEMATA):
        return variant_output(tmp, lines, parallelism, variables)
    source = tmp / "transactions"
    source.mkdir(parents=True)
    (source / "transactions.jsonl").write_text(
        "".join((json.dumps(x) if isinstance(x, dict) else x) + "\n" for x in lines))
    alerts = tmp / "alerts"
    flink_sql.run(flink_sql.build(
        [JOB_FILE], load_profile("local"),
        {**variables, "transactions_path": str(source), "alerts_path": str(alerts),
         "fraud_features_path": str(alerts / "feature_log")},
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


def variant_output(tmp: Path, lines: list[str | dict], parallelism: int,
                   variables: dict[str, str]) -> JobOutput:
    """The rows of the variant named by VARIANT. Every variant runs at the first call, up to
    CHUNK to a Flink job, and one marked `alone` (a mutant expected to fail the job) by itself.
    A job that fails is split in halves until the variant that fails it is alone; its error is
    raised when its rows are asked for."""
    key = (tuple(json.dumps(x) if isinstance(x, dict) else x for x in lines), parallelism,
           tuple(sorted(variables.items())))
    if key not in _variant_outputs:
        variants = json.loads(Path(os.environ[SCHEMATA]).read_text())
        # Only the variants whose fast tests are this module's: another module's mutants are
        # never asked for here (tests/mutants.py lists each variant's modules).
        module = os.environ.get("PYTEST_CURRENT_TEST", "").split("::")[0]
        wanted = [n for n, v in enumerate(variants) if module in v.get("modules", [module])]
        together = [n for n in wanted if not variants[n]["alone"]]
        # As few jobs as CHUNK allows, of even sizes; neighbours together (a file's variants,
        # and so the Python workers of impossible_travel's, share their jobs).
        jobs = -(-len(together) // CHUNK)
        chunks = [together[len(together) * i // jobs:len(together) * (i + 1) // jobs]
                  for i in range(jobs)]
        chunks += [[n] for n in wanted if variants[n]["alone"]]
        outputs: list = [None] * len(variants)
        for number, chunk in enumerate(chunks):
            ran = run_or_split(tmp / f"variants-{number}", key[0],
                               [variants[n] for n in chunk], parallelism, variables)
            for n, output in zip(chunk, ran, strict=True):
                outputs[n] = output
        _variant_outputs[key] = outputs
    number = int(os.environ[VARIANT])
    if _variant_outputs[key][number] is None:  # not this module's: run it alone, still exact
        variants = json.loads(Path(os.environ[SCHEMATA]).read_text())
        _variant_outputs[key][number] = run_or_split(tmp / f"variant-{number}", key[0],
                                                     [variants[number]], parallelism,
                                                     variables)[0]
    found = _variant_outputs[key][number]
    if isinstance(found, Exception):
        raise found
    return found


def run_or_split(folder: Path, lines: tuple[str, ...], chunk: list[dict],
                 parallelism: int, variables: dict[str, str]) -> list:
    try:
        return run_variants(folder, lines, [{Path(p): t for p, t in v["files"].items()}
                                            for v in chunk], parallelism, variables)
    except Exception as error:
        if len(chunk) == 1:
            return [error]
        # The error usually names a renamed view of the variant that failed (name__v<n>).
        named = {int(n) for n in re.findall(r"__v(\d+)\b", str(error))}
        # The first line says which statement or job; the last cause, why.
        message = str(error).splitlines() or [repr(error)]
        causes = [line.strip() for line in message if line.strip().startswith("Caused by")]
        with Path(os.environ[SCHEMATA]).with_suffix(".log").open("a") as log:
            log.write(f"{folder}: a job of {len(chunk)} variants failed, naming {sorted(named)}:"
                      f" {message[0][:300]}{' / ' + causes[-1][:300] if causes else ''}\n")
        if len(named) == 1 and 1 <= min(named) <= len(chunk):
            bad = min(named) - 1
            rest = chunk[:bad] + chunk[bad + 1:]
            outputs = run_or_split(folder / "rest", lines, rest, parallelism, variables)
            failed = run_or_split(folder / "alone", lines, [chunk[bad]], parallelism, variables)
            return outputs[:bad] + failed + outputs[bad:]
        half = len(chunk) // 2
        return (run_or_split(folder / "a", lines, chunk[:half], parallelism, variables)
                + run_or_split(folder / "b", lines, chunk[half:], parallelism, variables))


def run_variants(folder: Path, lines: tuple[str, ...], variants: list[dict[Path, str]],
                 parallelism: int, variables: dict[str, str]) -> list[JobOutput]:
    from tests.flink import schemata

    source = folder / "transactions"
    source.mkdir(parents=True)
    (source / "transactions.jsonl").write_text("".join(f"{line}\n" for line in lines))
    alerts = folder / "alerts"
    job, written = schemata.build(
        JOB_FILE, load_profile("local"),
        {**variables, "transactions_path": str(source), "alerts_path": str(alerts / "v0"),
         "fraud_features_path": str(alerts / "v0" / "feature_log")}, variants,
        lambda number: alerts / f"v{number}",
        {"parallelism.default": str(parallelism),
         # Every variant's windows share the slot's managed memory.
         "taskmanager.memory.managed.size": "1024m",
         # Each variant has its own exchanges; the default 64 MB of buffers is too few for 24.
         "taskmanager.memory.network.min": "256m", "taskmanager.memory.network.max": "256m"})
    flink_sql.run(job)
    # A sink the variant does not write itself holds the original's rows (v0).
    return [JobOutput({sink: read_sink(alerts / (f"v{n}" if sink in mine else "v0") / sink)
                       for sink in SINKS})
            for n, mine in enumerate(written, start=1)]
