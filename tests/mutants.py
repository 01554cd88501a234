"""Mutation check: does a fast test fail when a rule's threshold or comparison drifts?

    .venv/bin/python -m tests.mutants            # every mutant (make mutants)
    .venv/bin/python -m tests.mutants --list     # the mutants only, nothing run
    .venv/bin/python -m tests.mutants --only sql/flink/impossible_travel.sql

For every numeric `-- @param` of every SQL file, it moves the default one step each way (an
integer by 1, a decimal by one unit of its last written digit: 0.7 -> 0.6 and 0.8). For every
comparison sign in the rule files below it swaps the boundary (> and >=, < and <=). Each mutant
is written into the file, the file's fast tests run against it (one pytest process: the real
Spark or Flink), and the file is restored. A mutant that no test fails survives; the report
lists each survivor, or the reason it is harmless where one is recorded in HARMLESS.

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

# Each SQL file's fast tests: the hand-written unit tests that run it on the real engine.
FAST_TESTS = {
    "sql/flink/": ["tests/flink/test_detectors.py"],
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
# Mutants known to change no result, with the reason (file, description) -> why.
HARMLESS: dict[tuple[str, str], str] = {}

PARAM = re.compile(r"^(--\s*@param\s+(\w+)\s*=\s*)(\S+)\s*$", re.MULTILINE)
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
COMPARISON = re.compile(r"(?<![<>=!])(>=|<=|>|<)(?![<>=])")
SWAP = {">": ">=", ">=": ">", "<": "<=", "<=": "<"}


@dataclass(frozen=True)
class Mutant:
    path: str
    description: str
    start: int
    end: int
    replacement: str

    def apply(self, text: str) -> str:
        return text[:self.start] + self.replacement + text[self.end:]


def param_mutants(path: str, text: str) -> list[Mutant]:
    mutants = []
    for match in PARAM.finditer(text):
        name, value = match.group(2), match.group(3)
        if not NUMBER.match(value):
            continue
        number = Decimal(value)
        step = Decimal(1).scaleb(number.as_tuple().exponent)  # one unit of the last digit
        for moved in (number - step, number + step):
            mutants.append(Mutant(path, f"@param {name} = {value} -> {moved}", match.start(3),
                                  match.end(3), str(moved)))
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
            line = text.count("\n", 0, match.start()) + 1
            line_start = text.rfind("\n", 0, match.start()) + 1
            column = match.start() - line_start + 1
            sign = match.group(1)
            source = text[line_start:text.find("\n", match.end())]
            mutants.append(Mutant(path, f"line {line}:{column}: {sign} -> {SWAP[sign]} in "
                                        f"`{source.strip()}`", match.start(), match.end(),
                                  SWAP[sign]))
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
    return mutants


def killed(mutant: Mutant, tests: list[str]) -> tuple[bool, float]:
    """Run the tests against the mutant; True when they fail. The file is always restored."""
    file = REPO / mutant.path
    original = file.read_text()
    started = time.monotonic()
    try:
        file.write_text(mutant.apply(original))
        done = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                               "-p", "no:warnings", *tests], cwd=REPO, capture_output=True,
                              text=True)
    finally:
        file.write_text(original)
    if done.returncode not in (0, 1):  # 1: a test failed; anything else: pytest itself did
        raise RuntimeError(f"pytest could not run {tests} for {mutant.path} "
                           f"({mutant.description}):\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
    return done.returncode == 1, time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument("--only", action="append", default=[], help="only this SQL file")
    args = parser.parse_args(argv)
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
    for number, mutant in enumerate(mutants, 1):
        dead, seconds = killed(mutant, fast_tests(mutant.path))
        verdict = "killed" if dead else "SURVIVED"
        print(f"[{number}/{len(mutants)}] {verdict:8} {seconds:5.0f} s  {mutant.path}: "
              f"{mutant.description}", flush=True)
        if not dead:
            reason = HARMLESS.get((mutant.path, mutant.description))
            (harmless if reason else survivors).append((mutant, reason))
    killed_count = len(mutants) - len(survivors) - len(harmless)
    print(f"\n{killed_count} of {len(mutants)} mutants killed "
          f"({100 * killed_count / max(1, len(mutants)):.0f}%); {len(harmless)} harmless, "
          f"{len(survivors)} surviving")
    for mutant, reason in harmless:
        print(f"  harmless  {mutant.path}: {mutant.description}: {reason}")
    for mutant, _ in survivors:
        print(f"  SURVIVED  {mutant.path}: {mutant.description}")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
