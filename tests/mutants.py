"""Mutation check: does a fast test fail when a rule's threshold or comparison drifts?

    .venv/bin/python -m tests.mutants            # every mutant (make mutants)
    .venv/bin/python -m tests.mutants --list     # the mutants, and what is not mutated; no run
    .venv/bin/python -m tests.mutants --only sql/flink/impossible_travel.sql

It finds the mutants itself:
- every numeric `-- @param` default of every SQL file (sql/flink/connectors/ aside: deployment
  settings such as a source's parallelism, which no rule reads);
- in every rule file of sql/spark and sql/flink, every numeric literal of the code (a
  comparison's bound, a window's size in INTERVAL '5' SECOND, a constant such as a risk score)
  and every comparison sign (> and >=, < and <= swapped at the boundary);
- in Python, the gates: the lines marked `# mutants: gate` under dags/ and runners/ (the churn
  DAG's F1 gate, the null-rate check), their numbers and comparison signs;
- NAMED, the rule changes a reviewer tried by hand.
Each number moves both up and down, by one unit of its last written digit (an integer by 1,
0.7 to 0.6 and 0.8, 3600000.0E0 by 0.1). NOT_MUTATED says which literals are left alone and
why (a type's size, an array index, a fixed-width key's layout); --list counts them.

Mutants are written into a scratch copy of the checkout (sql, runners, udfs, dags, tests, the
venvs and build/ linked), never into the checkout itself, so a killed run leaves nothing
behind. Each mutant's fast tests (FAST_TESTS) then run against the copy, on the real Spark or
Flink, in one worker process per environment that keeps its JVM warm; the two workers run side
by side. A mutant that no test fails survives; the report lists each survivor. A mutant
recorded in HARMLESS, with the reason it changes no result, is listed and not run.

The Flink mutants run as variants of one job (tests/flink/schemata.py): a Flink run costs about
10 s, nearly all of it starting and finishing the job, so up to 40 mutants share one job (a
variant's DDL and planning take about 2 s; on 2026-12-07 a job of one variant took 33 s, of 24
72 s, of 40 106 s: the fixed part is the whole job's own planning). A mutant
that fails the job (FAILS_THE_JOB) runs alone, so that it does not cost the others a job.
The baseline is a variant with the text unchanged, on which the tests must pass.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as python -m tests.mutants from anywhere

from runners.engines import flink_env, sqlscript  # noqa: E402

RULE_FOLDERS = ("sql/spark/", "sql/flink/")
# Not rules: where the job's data comes from and goes to, and the tables' column declarations.
NOT_RULES = ("sql/flink/connectors/", "sql/flink/schemas.sql")
GATE_MARK = "# mutants: gate"
GATE_FOLDERS = ("dags", "runners")
# Each file's fast tests: the hand-written unit tests that run it on the real engine, narrowed to
# the tests that read what the file makes (a mutant cannot fail the others). The longest prefix
# wins.
CHURN_TESTS = "tests/spark/test_churn_features.py::test_"
FAST_TESTS = {
    "sql/flink/": ["tests/flink/test_detectors.py"],
    # The fraud model's features, scores and alerts, and what they share with the rules: the
    # user's history (its features are compared with the reference's, number by number) and
    # the aggregation (the rules' hand-written edges, and all six types on a generated stream).
    "sql/flink/user_history.sql": ["tests/flink/test_model_score.py"],
    "sql/flink/fraud_features.sql": ["tests/flink/test_model_score.py"],
    "sql/flink/scored_transactions.sql": ["tests/flink/test_model_score.py"],
    "sql/flink/model_score.sql": ["tests/flink/test_model_score.py"],
    "sql/flink/alert_aggregation.sql": ["tests/flink/test_detectors.py",
                                        "tests/flink/test_model_score.py"],
    # The raw sources' parameters (max_null_rate) set the churn DAG's raw-data checks.
    "sql/spark/churn/churn_sources.sql": ["tests/spark/test_churn_features.py",
                                          "tests/airflow/test_data_checks.py"],
    "sql/spark/churn/": ["tests/spark/test_churn_features.py"],
    "sql/spark/churn/churn_features.sql": [
        f"{CHURN_TESTS}churn_features_one_row_per_customer_with_defaults",
        f"{CHURN_TESTS}the_holdout_is_exactly_the_hashed_fifth_and_stable_across_runs"],
    "sql/spark/churn/usage_features.sql": [f"{CHURN_TESTS}usage_counts_the_30_days_and_the_last_7",
                                           f"{CHURN_TESTS}churn_features_one_row_per_customer_"
                                           "with_defaults"],
    "sql/spark/churn/support_features.sql": [f"{CHURN_TESTS}support_counts_open_tickets_and_"
                                             "ratings",
                                             f"{CHURN_TESTS}churn_features_one_row_per_customer_"
                                             "with_defaults"],
    "sql/spark/churn/billing_features.sql": [f"{CHURN_TESTS}billing_sums_only_succeeded_"
                                             "payments_exactly",
                                             f"{CHURN_TESTS}churn_features_one_row_per_customer_"
                                             "with_defaults"],
    "sql/spark/clean_events.sql": ["tests/spark/test_clean_events.py"],
    "sql/spark/quarantined_events.sql": ["tests/spark/test_clean_events.py"],
    "sql/spark/user_day_activity.sql": ["tests/spark/test_rollups.py",
                                        "tests/spark/test_daily_stats.py",
                                        "tests/spark/test_segments.py"],
    "sql/spark/daily_stats.sql": ["tests/spark/test_daily_stats.py"],
    "sql/spark/purchases.sql": ["tests/spark/test_rollups.py",
                                "tests/spark/test_popular_products.py"],
    "sql/spark/purchase_baskets.sql": ["tests/spark/test_purchase_baskets.py"],
    "sql/spark/fpgrowth.sql": ["tests/spark/test_fpgrowth.py"],
    "sql/spark/product_recommendations.sql": [
        "tests/spark/test_fpgrowth.py::test_recommendations_keep_confidence_above_half"],
    "sql/spark/popular_products.sql": ["tests/spark/test_popular_products.py"],
    "sql/spark/fraud/": ["tests/spark/test_fraud_training_set.py"],
    "sql/spark/segments.sql": ["tests/spark/test_segments.py"],
    "sql/report/": ["tests/test_report.py"],
    "dags/ml_pipeline_customer_churn.py": ["tests/airflow/test_churn_gate.py"],
    "dags/fraud_model_training.py": ["tests/airflow/test_fraud_gate.py"],
    "runners/engines/checks.py": ["tests/airflow/test_data_checks.py"],
}
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
# change by its line's text, not its number, so an edit elsewhere in the file keeps it.
HARMLESS: dict[tuple[str, str], str] = {}


def harmless(path: str, keys: list[str], why: str) -> None:
    for key in keys:
        HARMLESS[(path, key)] = why


ORDER = "1 AS detector_order,", "6 AS detector_order,"
harmless("sql/flink/alert_aggregation.sql",
         [f"1 -> 0 #1 in `{ORDER[0]}`", f"6 -> 7 #1 in `{ORDER[1]}`"],
         "only the order of the positions counts: the first is still first, the last last")
harmless("sql/flink/alert_aggregation.sql",
         ["1 -> 2 #1 in `1 AS detector_order,`", "2 -> 1 #1 in `2 AS detector_order,`",
          "3 -> 4 #1 in `3 AS detector_order,`", "4 -> 3 #1 in `4 AS detector_order,`"],
         "a tie of positions is broken by value (udfs/java PositionOrder), and for these "
         "neighbours that is their order anyway: HIGH_VELOCITY before UNUSUAL_AMOUNT and "
         "IMPOSSIBLE_TRAVEL before SUSPICIOUS_SEQUENCE by name, their reasons likewise (a digit "
         "before a letter), and two risks multiply the same either way")
harmless("sql/flink/impossible_travel.sql",
         ["> -> >= #1 in `) > ${max_speed_kmh} * hours_between;`",
          "360 -> 361 #1 in `360 - abs(longitude - previous_longitude)`"],
         "the pre-filter's bound only grows (or its test widens): more pairs reach the exact "
         "test, which decides alone")
harmless("sql/flink/impossible_travel.sql",
         ["INTERVAL '0.001' -> 0.002 #1 in `FROM table(tumble(TABLE travel_candidates, "
          "DESCRIPTOR (event_time), INTERVAL '0.001' SECOND))`"],
         "no aggregate follows this window (it only keeps the Python call out of the filter): "
         "its size changes window_start and window_end, which nothing reads")
harmless("sql/flink/suspicious_sequence.sql",
         ["INTERVAL '0.001' -> 0.002 #1 in `FROM table(tumble(TABLE sequence_matches, "
          "DESCRIPTOR (alert_time), INTERVAL '0.001' SECOND))`"],
         "the matches merged are those of one transaction, which share its time; 2 ms windows "
         "start on even milliseconds, as every 5 s window does, so the alert stays in its 5 s "
         "window, and its alert_millis is the transaction's own")
harmless("sql/flink/suspicious_sequence.sql",
         ["0 -> 1 #1 in `PATTERN (first_small recent_txn{0,${lookback}}? large_txn)`"],
         "a match needs min_small tests, first_small and min_small - 1 of recent_txn, so with "
         "min_small >= 2 (the seed's 3) recent_txn never matches no row")
harmless("sql/flink/model_score.sql",
         [">  -> >= #1 in `WHERE fraud_score > ${min_model_score};`".replace(">  ", "> ")],
         "only a score exactly at the threshold tells > from >=: the model's probability is "
         "the logistic of a float32 sum of its trees' leaves, and no test row can be made to "
         "land on 0.5 exactly; the rule says above (docs), and scores on both sides of it are "
         "tested")
harmless("sql/flink/transactions.sql",
         ["0 -> -1 #1 in `coalesce(try_cast(json_fields(line, 'timestamp')[1] AS BIGINT), 0), 3`",
          "0 -> 1 #1 in `coalesce(try_cast(json_fields(line, 'timestamp')[1] AS BIGINT), 0), 3`"],
         "only a line without a usable timestamp gets it, and that line is a dead letter; its "
         "event time must only not move the watermark, which -1 or 1 ms since 1970 does not")

# Literals that are not a rule's number: the arguments of these calls and types, and array
# indexes, each with why.
NOT_MUTATED = {
    "decimal": "a type's size: the value it holds is set by the rule before it",
    "timestamp": "a type's size: the value it holds is set by the rule before it",
    "timestamp_ltz": "a type's size: the value it holds is set by the rule before it",
    "lpad": "a fixed-width key's layout (width, offset)",
    "substr": "a fixed-width key's layout (width, offset)",
    "to_timestamp_ltz": "the unit of an epoch number (3: milliseconds), fixed by the contract",
    "[": "an array index: which parsed field, not a threshold",
    "stack": "stack's row count: how many of the values after it make a row",
}
DISPLAY = "a query the runner only prints: no table holds its rows"
WORD_BEFORE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*$")

NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
LITERAL = re.compile(r"(?<![\w.$])(\d+(?:\.\d+)?)((?:E[+-]?\d+)?)(?![\w.])", re.IGNORECASE)
INTERVAL = re.compile(r"\bINTERVAL\s+'(\d+(?:\.\d+)?)'", re.IGNORECASE)
COMPARISON = re.compile(r"(?<![<>=!])(>=|<=|>|<)(?![<>=])")
SWAP = {">": ">=", ">=": ">", "<": "<=", "<=": "<"}
RESULT = "@@mutant-result "
# What the scratch copy holds: copied, or linked (big, and never mutated).
COPIED = ("sql", "runners", "udfs", "dags", "tests", "benchmarks", "pyproject.toml",
          ".sqlfluffignore")
LINKED = (".venv", ".venv-flink", "build")


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


def moved(value: str) -> list[str]:
    """The number one unit of its last written digit down and up: 0.7 -> 0.6, 0.8."""
    number = Decimal(value)
    step = Decimal(1).scaleb(number.as_tuple().exponent)
    return [str(number - step), str(number + step)]


def line_of(text: str, position: int) -> tuple[int, str]:
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    return text.count("\n", 0, position) + 1, text[start:end if end >= 0 else len(text)].strip()


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
        for other in moved(value):
            mutants.append(Mutant(path, f"@param {name} = {value} -> {other}", directive.line,
                                  start, start + len(value), other))
    return mutants


def code_spans(text: str) -> list[tuple[int, int]]:
    """The spans of SQL code: comments and quoted strings left out."""
    spans, position = [], 0
    for match in re.finditer(r"--[^\n]*|'(?:[^']|'')*'", text):
        spans.append((position, match.start()))
        position = match.end()
    spans.append((position, len(text)))
    return spans


def enclosing(text: str, start: int) -> str:
    """The call, type or `[` whose brackets hold position `start`, lower-cased ('' if none)."""
    depth = 0
    for position in range(start - 1, max(-1, start - 2000), -1):
        char = text[position]
        if char in ")]":
            depth += 1
        elif char in "([":
            if depth == 0:
                if char == "[":
                    return "["
                word = WORD_BEFORE.search(text, 0, position)
                return word.group(1).lower() if word else ""
            depth -= 1
    return ""


def skipped_because(text: str, start: int) -> str | None:
    return NOT_MUTATED.get(enclosing(text, start))


def display_spans(path: str, text: str) -> list[tuple[int, int]]:
    """Where the file's display queries stand: statements that create nothing and only print
    (the SELECT after a model, which the runner shows)."""
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    items = sqlscript.parse(text, path).items
    spans = []
    for number, item in enumerate(items):
        if isinstance(item, sqlscript.Statement) and item.first_word in ("SELECT", "WITH") \
                and not sqlscript.created_names(item.text):
            end = starts[items[number + 1].line - 1] if number + 1 < len(items) else len(text)
            spans.append((starts[item.line - 1], end))
    return spans


def literal_mutants(path: str, text: str, skipped: list | None = None) -> list[Mutant]:
    """Every numeric literal of the code, and every INTERVAL 'n', each moved down and up."""
    found = []
    for start, end in code_spans(text):
        found += [(m.start(1), m.end(1), m.group(1), m.group(1) + m.group(2))
                  for m in LITERAL.finditer(text, start, end)]
    found += [(m.start(1), m.end(1), m.group(1), f"INTERVAL '{m.group(1)}'")
              for m in INTERVAL.finditer(text)]
    mutants = []
    seen: dict[tuple[int, str], int] = {}
    display = display_spans(path, text)
    for start, end, digits, shown in sorted(found):
        why = DISPLAY if any(a <= start < b for a, b in display) else \
            skipped_because(text, start)
        line, source = line_of(text, start)
        nth = seen[(line, shown)] = seen.get((line, shown), 0) + 1
        if why:
            if skipped is not None:
                skipped.append((path, line, shown, why))
            continue
        for other in moved(digits):
            if other.startswith("-") and text[start - 1:start] == "-":
                continue  # -0 -> --1: the literal's own sign stands before it
            mutants.append(Mutant(path, f"{shown} -> {other} #{nth} in `{source}`", line, start,
                                  end, other))
    return mutants


def sign_mutants(path: str, text: str, skipped: list | None = None) -> list[Mutant]:
    mutants = []
    display = display_spans(path, text)
    for start, end in code_spans(text):
        for match in COMPARISON.finditer(text, start, end):
            line, source = line_of(text, match.start())
            if any(a <= match.start() < b for a, b in display):
                if skipped is not None:
                    skipped.append((path, line, match.group(1), DISPLAY))
                continue
            line_start = text.rfind("\n", 0, match.start()) + 1
            nth = 1 + sum(1 for m in COMPARISON.finditer(text, line_start, match.start())
                          if m.end() <= match.start())
            sign = match.group(1)
            mutants.append(Mutant(path, f"{sign} -> {SWAP[sign]} #{nth} in `{source}`", line,
                                  match.start(), match.end(), SWAP[sign]))
    return mutants


def gate_mutants(path: str, text: str) -> list[Mutant]:
    """The numbers and comparison signs of each line marked as a gate, strings included (a
    gate may be SQL that Python writes), up to the mark."""
    mutants = []
    position = 0
    for number, line in enumerate(text.splitlines(keepends=True), 1):
        mark = line.find(GATE_MARK)
        if mark >= 0:
            code, source = line[:mark], line.strip()
            for match in COMPARISON.finditer(code):
                sign = match.group(1)
                mutants.append(Mutant(path, f"{sign} -> {SWAP[sign]} in `{source}`", number,
                                      position + match.start(), position + match.end(),
                                      SWAP[sign]))
            for match in LITERAL.finditer(code):
                mutants += [Mutant(path, f"{match.group(0)} -> {other} in `{source}`", number,
                                   position + match.start(1), position + match.end(1), other)
                            for other in moved(match.group(1))]
        position += len(line)
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
    prefixes = [p for p in FAST_TESTS if path == p or (p.endswith("/") and path.startswith(p))]
    return FAST_TESTS[max(prefixes, key=len)] if prefixes else []


def is_rule(path: str) -> bool:
    return path.startswith(RULE_FOLDERS) and not path.startswith(NOT_RULES)


def gate_files() -> list[Path]:
    return sorted(f for folder in GATE_FOLDERS for f in (REPO / folder).rglob("*.py")
                  if GATE_MARK in f.read_text())


def all_mutants(skipped: list | None = None) -> list[Mutant]:
    mutants = []
    for file in sorted((REPO / "sql").rglob("*.sql")):
        path = file.relative_to(REPO).as_posix()
        if path.startswith("sql/flink/connectors/"):
            continue
        text = file.read_text()
        mutants += param_mutants(path, text)
        if is_rule(path):
            mutants += literal_mutants(path, text, skipped)
            mutants += sign_mutants(path, text, skipped)
    for file in gate_files():
        if file.resolve() == Path(__file__).resolve():
            continue
        mutants += gate_mutants(file.relative_to(REPO).as_posix(), file.read_text())
    return sorted(mutants + named_mutants(), key=lambda m: (m.path, m.line, m.start))


# --- the worker: runs in the scratch copy -------------------------------------------------

def run_worker(job: dict) -> None:
    """In the scratch copy: each mutant's tests, after a baseline run that must pass. Flink
    mutants (sql/flink) run as variants of one job (tests/flink/schemata.py)."""
    import pytest

    from tests.flink import harness

    mutants = [Mutant(**m) for m in job["mutants"]]
    here = Path.cwd()
    schemata = [m for m in mutants if m.path.startswith("sql/flink/")]
    variant_of: dict[Mutant, int] = {}
    if schemata:
        first = here / schemata[0].path
        # The baseline runs in every module; a mutant only in the modules of its fast tests.
        modules = sorted({t.split("::")[0] for m in schemata for t in fast_tests(m.path)})
        variants = [{"files": {str(first): first.read_text()}, "alone": False,
                     "modules": modules}]
        for mutant in schemata:
            variant_of[mutant] = len(variants)
            file = here / mutant.path
            variants.append({"files": {str(file): mutant.apply(file.read_text())},
                             "alone": fails_the_job(mutant),
                             "modules": sorted({t.split("::")[0]
                                                for t in fast_tests(mutant.path)})})
        variants_file = here / "data" / "mutant-variants.json"
        variants_file.parent.mkdir(parents=True, exist_ok=True)
        variants_file.write_text(json.dumps(variants))
        os.environ[harness.SCHEMATA] = str(variants_file)

    def run(tests: list[str], variant: int) -> int:
        os.environ[harness.VARIANT] = str(variant)
        return pytest.main(["-x", "-q", "-p", "no:cacheprovider", "-p", "no:warnings", *tests])

    started = time.monotonic()
    # One baseline run of every test any mutant needs, each once (a whole file covers its tests).
    needed = {test for m in mutants for test in fast_tests(m.path)}
    baseline = sorted(t for t in needed if t.split("::")[0] == t or t.split("::")[0] not in needed)
    if run(baseline, 0) != 0:
        print(f"{RESULT}baseline failed {' '.join(baseline)}", flush=True)
        return
    print(f"{RESULT}baseline passed {time.monotonic() - started:.0f}", flush=True)
    for mutant in mutants:
        file = here / mutant.path
        original = file.read_text()
        started = time.monotonic()
        try:
            file.write_text(mutant.apply(original))
            code = run(fast_tests(mutant.path), variant_of.get(mutant, 0))
        finally:
            file.write_text(original)
        # 1: a test failed. Anything else (an error of pytest itself) counts as not killed.
        print(f"{RESULT}{'killed' if code == 1 else f'survived {code}'} "
              f"{time.monotonic() - started:.1f}", flush=True)


# Mutants that fail the whole Flink job while it runs, so that their variant runs alone. An
# error in a variant's DDL or plan names the variant (x.sql__v<n>, name__v<n>) and costs one job
# more; a runtime error names none, and tests/flink/harness.py then finds the variant by halving
# the job, a Flink job for each half.
FAILS_THE_JOB = {
    # Then a pair 0 hours apart takes the ELSE branch: round('Infinity') to DECIMAL fails.
    ("sql/flink/impossible_travel.sql", "0 -> -1 #1 in `WHEN hours_between = 0 THEN 'Infinity'`"),
    ("sql/flink/impossible_travel.sql", "0 -> 1 #1 in `WHEN hours_between = 0 THEN 'Infinity'`"),
    # {-1,5}: Flink's parser refuses the pattern, and the rest of its job would be planned again.
    ("sql/flink/suspicious_sequence.sql",
     "0 -> -1 #1 in `PATTERN (first_small recent_txn{0,${lookback}}? large_txn)`"),
}


def fails_the_job(mutant: Mutant) -> bool:
    """A window of no size (Flink refuses the job), or one of FAILS_THE_JOB: runs alone."""
    return ((mutant.key.startswith("INTERVAL") and Decimal(mutant.replacement) <= 0)
            or (mutant.path, mutant.key) in FAILS_THE_JOB)


def scratch_copy() -> Path:
    """A copy of the checkout to write mutants into; the big folders are links."""
    scratch = Path(tempfile.mkdtemp(prefix="sqlplatform-mutants-"))
    ignore = shutil.ignore_patterns("__pycache__", ".pytest_cache")
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, scratch / name, ignore=ignore)
        elif source.exists():
            shutil.copy2(source, scratch / name)
    for name in LINKED:
        if (REPO / name).exists():
            (scratch / name).symlink_to(REPO / name)
    return scratch


def run_in_worker(scratch: Path, python: str, mutants: list[Mutant], results: list) -> None:
    """Start a worker in the scratch copy and collect (mutant, killed, seconds)."""
    job = scratch / "data" / f"mutants-{Path(python).parts[-3]}.json"
    job.parent.mkdir(parents=True, exist_ok=True)
    job.write_text(json.dumps({"mutants": [asdict(m) for m in mutants]}))
    env = {**os.environ, "PYTHONPATH": str(scratch), "SQLPLATFORM_MUTANT_WORKER": "1"}
    log = (scratch / "data" / f"{job.stem}.log").open("w")
    worker = subprocess.Popen([python, "-m", "tests.mutants", "--worker", str(job)],
                              cwd=scratch, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    reported = (line[len(RESULT):].split() for line in worker.stdout
                if log.write(line) is not None and line.startswith(RESULT))
    first = next(reported, ["baseline", "failed"])
    if first[1] != "passed":
        worker.wait()
        results.append(RuntimeError(f"the fast tests fail without any mutant ({' '.join(first)}):"
                                    f" see {log.name}"))
        return
    for mutant, result in zip(mutants, reported, strict=False):
        results.append((mutant, result[0] == "killed", float(result[-1])))
        print(f"[{len(results)}] {'killed' if result[0] == 'killed' else 'SURVIVED':8} "
              f"{float(result[-1]):5.1f} s  {mutant.path}: {mutant.description}", flush=True)
    if worker.wait() != 0:
        results.append(RuntimeError(f"a worker stopped early: see {log.name}"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument("--only", action="append", default=[],
                        help="only this file's, or this folder's")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--keep", action="store_true", help="keep the scratch copy")
    args = parser.parse_args(argv)
    if args.worker:
        run_worker(json.loads(Path(args.worker).read_text()))
        return 0
    skipped: list = []
    found = all_mutants(skipped)
    stale = sorted((set(HARMLESS) | FAILS_THE_JOB) - {(m.path, m.key) for m in found})
    if stale:
        print(f"HARMLESS or FAILS_THE_JOB names mutants that no longer exist: {stale}",
              file=sys.stderr)
        return 2
    mutants = [m for m in found if not args.only or m.path.startswith(tuple(args.only))]
    untested = sorted({m.path for m in mutants if not fast_tests(m.path)})
    if untested:
        print(f"no fast tests declared for: {', '.join(untested)}", file=sys.stderr)
        return 2
    if args.list:
        for mutant in mutants:
            print(f"{mutant.path}: {mutant.description}")
        print(f"{len(mutants)} mutants")
        reasons: dict[str, int] = {}
        for *_, why in skipped:
            reasons[why] = reasons.get(why, 0) + 1
        for why, count in reasons.items():
            print(f"not mutated, {count} literal(s) or sign(s): {why}")
        return 0
    # A mutant recorded as harmless is reported with its reason, not run.
    harmless = [(m, HARMLESS[(m.path, m.key)]) for m in mutants if (m.path, m.key) in HARMLESS]
    to_run = [m for m in mutants if (m.path, m.key) not in HARMLESS]
    flink = [m for m in to_run if all(t.startswith("tests/flink/") for t in fast_tests(m.path))]
    main_env = [m for m in to_run if m not in flink]
    scratch = scratch_copy()
    started = time.monotonic()
    results: list = []
    workers = [threading.Thread(target=run_in_worker, args=(scratch, python, group, results))
               for python, group in ((flink_env.python(), flink), (sys.executable, main_env))
               if group]
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    finally:
        # Why a variant job failed and was split (tests/flink/harness.py), kept for the record.
        split_log = scratch / "data" / "mutant-variants.log"
        kept = REPO / "build" / split_log.name
        kept.unlink(missing_ok=True)
        if split_log.exists():
            kept.parent.mkdir(exist_ok=True)
            shutil.copy(split_log, kept)
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    errors = [r for r in results if isinstance(r, Exception)]
    if errors:
        for error in errors:
            print(f"error: {error}", file=sys.stderr)
        return 2
    if len(results) != len(to_run):
        raise RuntimeError(f"only {len(results)} of {len(to_run)} mutants were run")
    survivors = [(mutant, None) for mutant, dead, _ in results if not dead]
    killed_count = len(mutants) - len(survivors) - len(harmless)
    print(f"\n{killed_count} of {len(mutants)} mutants killed "
          f"({100 * killed_count / max(1, len(mutants)):.0f}%); {len(harmless)} harmless, "
          f"{len(survivors)} surviving, in {time.monotonic() - started:.0f} s")
    for mutant, reason in harmless:
        print(f"  harmless (not run)  {mutant.path}: {mutant.description}: {reason}")
    for mutant, _ in sorted(survivors, key=lambda s: (s[0].path, s[0].line)):
        print(f"  SURVIVED  {mutant.path}: {mutant.description}")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
