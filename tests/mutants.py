"""Mutation check: does a fast test fail when a rule's threshold or comparison drifts?

    .venv/bin/python -m tests.mutants            # every mutant (make mutants)
    .venv/bin/python -m tests.mutants --list     # the mutants only, nothing run
    .venv/bin/python -m tests.mutants --only sql/flink/impossible_travel.sql

For every numeric `-- @param` of every SQL file, it moves the default one step each way (an
integer by 1, a decimal by one unit of its last written digit: 0.7 -> 0.6 and 0.8). For every
comparison sign in the rule files below it swaps the boundary (> and >=, < and <=). NAMED adds
the rule changes a reviewer tried by hand. Each mutant
is written into the file, the file's fast tests run against it on the real Spark or Flink, and
the file is restored. The mutants of one test set run in one worker process, whose pytest
runs them one after the other in a warm JVM, after a run without a mutant, which must pass. A
mutant that no test fails survives; the report lists each survivor, or the reason it is
harmless where one is recorded in HARMLESS.

A parameter that is not a number (a path, a date) names a location or a run, not a rule, and
is not mutated; nor are the connector files' parameters (sql/flink/connectors/: deployment
settings such as a source's parallelism, which no rule reads).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as python -m tests.mutants from anywhere

from runners.engines import flink_env, sqlscript  # noqa: E402

# Each SQL file's fast tests: the hand-written unit tests that run it on the real engine.
FAST_TESTS = {
    "sql/flink/": ["tests/flink/test_detectors.py"],
    # The raw sources' parameters (max_null_rate) set the churn DAG's raw-data checks.
    "sql/spark/churn/churn_sources.sql": ["tests/spark/test_churn_features.py",
                                          "tests/airflow/test_data_checks.py"],
    "sql/spark/churn/": ["tests/spark/test_churn_features.py"],
    "sql/spark/clean_events.sql": ["tests/spark/test_clean_events.py"],
    "sql/spark/fpgrowth.sql": ["tests/spark/test_fpgrowth.py"],
    "sql/spark/product_recommendations.sql": ["tests/spark/test_fpgrowth.py"],
    "sql/spark/popular_products.sql": ["tests/spark/test_popular_products.py"],
    "sql/spark/segments.sql": ["tests/spark/test_segments.py"],
    "sql/report/": ["tests/test_report.py"],
}
# The rule files whose comparison signs are mutated: the detectors, the publish filter and the
# segments.
COMPARISON_FILES = [
    "sql/flink/high_velocity.sql", "sql/flink/unusual_amount.sql",
    "sql/flink/impossible_travel.sql", "sql/flink/suspicious_sequence.sql",
    "sql/flink/suspicious_merchant.sql", "sql/flink/fraud_detection.sql",
    "sql/spark/segments.sql",
]
NOT_RULES = ("sql/flink/connectors/",)
# Rule changes a careful reviewer tried by hand (issue 11), kept so they stay killed:
# (file, text, changed text).
NAMED = [
    ("sql/flink/impossible_travel.sql", "max_speed_kmh = 1000", "max_speed_kmh = 1500"),
    ("sql/flink/impossible_travel.sql", "max_speed_kmh = 1000", "max_speed_kmh = 3000"),
    ("sql/flink/impossible_travel.sql", "max_speed_kmh = 1000", "max_speed_kmh = 5569"),
    ("sql/flink/suspicious_sequence.sql", "large_amount = 500", "large_amount = 850"),
    ("sql/flink/unusual_amount.sql", "previous_mean + 3 * previous_stddev",
     "previous_mean + 2 * previous_stddev"),
    ("sql/flink/high_velocity.sql", "lpad(cast(history_position AS STRING), 19, '0')",
     "lpad(cast(epoch_millis AS STRING), 19, '0')"),
    ("sql/spark/popular_products.sql", "rank() OVER", "dense_rank() OVER"),
    ("sql/spark/churn/churn_features.sql", "xxhash64(customers.customer_id), 5)",
     "xxhash64(customers.customer_id), 6)"),
]
# Mutants known to change no result, with the reason: (file, key) -> why. A key names the
# comparison by its line's text, not its number, so an edit elsewhere in the file keeps it.
HARMLESS: dict[tuple[str, str], str] = {
    ("sql/flink/impossible_travel.sql",
     "> -> >= #1 in `) > ${max_speed_kmh} * (epoch_millis - previous_millis) / 3600000.0E0;`"):
        "the pre-filter only lets more pairs through to the exact test, and a pair whose "
        "upper bound of the distance is at the limit is not over it (distance <= bound)",
    ("sql/flink/impossible_travel.sql",
     "> -> >= #1 in `WHERE (hours_between = 0 AND distance_km > 0) OR speed_kmh > "
     "${max_speed_kmh};`"):
        "a pair at 0 km never reaches it: the pre-filter wants a distance bound over "
        "max_speed_kmh * hours, so over 0; the same place in the same millisecond is tested",
}

NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
COMPARISON = re.compile(r"(?<![<>=!])(>=|<=|>|<)(?![<>=])")
SWAP = {">": ">=", ">=": ">", "<": "<=", "<=": "<"}


@dataclass(frozen=True)
class Mutant:
    path: str
    key: str  # what changes, without a line number
    line: int
    start: int
    end: int
    replacement: str

    @property
    def description(self) -> str:
        return f"line {self.line}: {self.key}"

    def apply(self, text: str) -> str:
        return text[:self.start] + self.replacement + text[self.end:]


def param_mutants(path: str, text: str) -> list[Mutant]:
    """The defaults of the file's numeric -- @param directives (as sqlscript reads them)."""
    script = sqlscript.parse(text, path)
    line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    mutants = []
    for directive in script.items:
        if not isinstance(directive, sqlscript.Directive) or directive.kind != "param":
            continue
        name, value = directive.args[0].split("=", 1)
        name, value = name.strip(), value.strip()
        if not NUMBER.match(value):
            continue
        line_start = line_starts[directive.line - 1]
        start = text.index(value, text.index("=", line_start) + 1)
        number = Decimal(value)
        step = Decimal(1).scaleb(number.as_tuple().exponent)  # one unit of the last digit
        for moved in (number - step, number + step):
            mutants.append(Mutant(path, f"@param {name} = {value} -> {moved}", directive.line,
                                  start, start + len(value), str(moved)))
    return mutants


def code_spans(text: str) -> list[tuple[int, int]]:
    """The spans of SQL code: comments and quoted strings left out."""
    spans, position = [], 0
    for match in re.finditer(r"--[^\n]*|'(?:[^']|'')*'", text):
        spans.append((position, match.start()))
        position = match.end()
    spans.append((position, len(text)))
    return spans


def comparison_mutants(path: str, text: str) -> list[Mutant]:
    mutants = []
    for start, end in code_spans(text):
        for match in COMPARISON.finditer(text, start, end):
            line_start = text.rfind("\n", 0, match.start()) + 1
            line_end = text.find("\n", match.end())
            source = text[line_start:line_end if line_end >= 0 else len(text)]
            nth = 1 + sum(1 for m in COMPARISON.finditer(text, line_start, match.start())
                          if m.end() <= match.start())
            sign = match.group(1)
            mutants.append(Mutant(path, f"{sign} -> {SWAP[sign]} #{nth} in `{source.strip()}`",
                                  text.count("\n", 0, match.start()) + 1, match.start(),
                                  match.end(), SWAP[sign]))
    return mutants


def named_mutants() -> list[Mutant]:
    mutants = []
    for path, text, changed in NAMED:
        source = (REPO / path).read_text()
        start = source.find(text)
        if start < 0:
            raise RuntimeError(f"{path} no longer holds `{text}`: update NAMED in {__file__}")
        mutants.append(Mutant(path, f"`{text}` -> `{changed}`", source.count("\n", 0, start) + 1,
                              start, start + len(text), changed))
    return mutants


def fast_tests(path: str) -> list[str]:
    for prefix, tests in FAST_TESTS.items():
        if path == prefix or (prefix.endswith("/") and path.startswith(prefix)):
            return tests
    return []


def all_mutants() -> list[Mutant]:
    mutants = []
    for file in sorted((REPO / "sql").rglob("*.sql")):
        path = file.relative_to(REPO).as_posix()
        if path.startswith(NOT_RULES):
            continue
        text = file.read_text()
        mutants += param_mutants(path, text)
        if path in COMPARISON_FILES:
            mutants += comparison_mutants(path, text)
    return sorted(mutants + named_mutants(), key=lambda m: m.path)


def run_group(tests: list[str], mutants: list[Mutant]) -> None:
    """In a worker process: the tests unmutated (they must pass), then once per mutant. One
    process per group keeps its JVM warm: a Flink run takes 12 s instead of 32 s."""
    import pytest

    arguments = ["-x", "-q", "-p", "no:cacheprovider", "-p", "no:warnings", *tests]
    started = time.monotonic()
    if pytest.main(arguments) != 0:
        print(f"{RESULT}baseline failed", flush=True)
        return
    print(f"{RESULT}baseline passed {time.monotonic() - started:.0f}", flush=True)
    for mutant in mutants:
        file = REPO / mutant.path
        original = file.read_text()
        started = time.monotonic()
        try:
            file.write_text(mutant.apply(original))
            code = pytest.main(arguments)
        finally:
            file.write_text(original)
        # 1: a test failed. Anything else (an error of pytest itself) counts as not killed.
        print(f"{RESULT}{'killed' if code == 1 else f'survived {code}'} "
              f"{time.monotonic() - started:.0f}", flush=True)


RESULT = "@@mutant-result "


def run_in_worker(tests: list[str], mutants: list[Mutant]):
    """Yield (mutant, killed, seconds) as the worker reports them."""
    import json

    job = json.dumps({"tests": tests, "mutants": [m.__dict__ for m in mutants]})
    # tests/flink runs in the Flink environment (runners/engines/flink_env.py), the rest here.
    python = flink_env.python() if all(t.startswith("tests/flink/") for t in tests) \
        else sys.executable
    worker = subprocess.Popen([python, "-m", "tests.mutants", "--worker", job], cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    results = (line[len(RESULT):].split() for line in worker.stdout
               if line.startswith(RESULT))
    first = next(results, ["baseline", "failed"])
    if first[1] != "passed":
        worker.wait()
        raise RuntimeError(f"{' '.join(tests)} fail without any mutant: fix them first")
    for mutant, result in zip(mutants, results, strict=False):
        yield mutant, result[0] == "killed", float(result[-1])
    if worker.wait() != 0:
        raise RuntimeError(f"the worker for {' '.join(tests)} stopped early")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument("--only", action="append", default=[], help="only this SQL file")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        import json

        job = json.loads(args.worker)
        run_group(job["tests"], [Mutant(**m) for m in job["mutants"]])
        return 0
    mutants = [m for m in all_mutants() if not args.only or m.path in args.only]
    untested = sorted({m.path for m in mutants if not fast_tests(m.path)})
    if untested:
        print(f"no fast tests declared for: {', '.join(untested)}", file=sys.stderr)
        return 2
    if args.list:
        for mutant in mutants:
            print(f"{mutant.path}: {mutant.description}")
        print(f"{len(mutants)} mutants")
        return 0
    survivors, harmless = [], []
    groups: dict[tuple[str, ...], list[Mutant]] = {}
    for mutant in mutants:
        groups.setdefault(tuple(fast_tests(mutant.path)), []).append(mutant)
    number, started = 0, time.monotonic()
    for tests, group in groups.items():
        for mutant, dead, seconds in run_in_worker(list(tests), group):
            number += 1
            verdict = "killed" if dead else "SURVIVED"
            print(f"[{number}/{len(mutants)}] {verdict:8} {seconds:4.0f} s  {mutant.path}: "
                  f"{mutant.description}", flush=True)
            if not dead:
                reason = HARMLESS.get((mutant.path, mutant.key))
                (harmless if reason else survivors).append((mutant, reason))
    if number != len(mutants):
        raise RuntimeError(f"only {number} of {len(mutants)} mutants were run")
    killed_count = len(mutants) - len(survivors) - len(harmless)
    print(f"\n{killed_count} of {len(mutants)} mutants killed "
          f"({100 * killed_count / max(1, len(mutants)):.0f}%); {len(harmless)} harmless, "
          f"{len(survivors)} surviving, in {time.monotonic() - started:.0f} s")
    for mutant, reason in harmless:
        print(f"  harmless  {mutant.path}: {mutant.description}: {reason}")
    for mutant, _ in survivors:
        print(f"  SURVIVED  {mutant.path}: {mutant.description}")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
