"""The whole fraud job on a generated stream against the plain-Python seed rules: same alerts.

The stream has every injected scenario, out-of-order jitter, late events and bad lines. Every
sink is compared as an unordered set with tests/flink/seed_rules.py.
"""

from __future__ import annotations

from collections import Counter

import pytest

from runners.generate_transactions import Rates, events
from tests.flink import seed_rules
from tests.flink.harness import run_job

TRANSACTIONS = 20_000


@pytest.fixture(scope="module")
def stream() -> list[str]:
    return [line for _, line, _ in events(TRANSACTIONS, users=300, seed=11, rates=Rates())]


@pytest.fixture(scope="module")
def outputs(stream, tmp_path_factory):
    return run_job(tmp_path_factory.mktemp("end_to_end"), stream), seed_rules.evaluate(stream)


def alert_set(rows: list[dict]) -> set[tuple]:
    def get(row, camel, snake):
        return row[camel] if camel in row else row[snake]

    return {(get(r, "transactionId", "transaction_id"), get(r, "alertType", "alert_type"),
             get(r, "reason", "reason"), round(get(r, "riskScore", "risk_score"), 9),
             get(r, "timestamp", "alert_time")) for r in rows}


def test_the_stream_exercises_every_detector(outputs):
    _, expected = outputs
    types = Counter(a["alertType"] for a in expected["detector_alerts"])
    assert set(types) == set(seed_rules.TYPE_ORDER), types
    assert expected["dead_letters"] and expected["late_transactions"]


@pytest.mark.parametrize("sink", ["detector_alerts", "alert_history", "fraud_alerts"])
def test_alerts_match_the_seed_rules(outputs, sink):
    actual, expected = outputs
    got, want = alert_set(actual.rows[sink]), alert_set(expected[sink])
    assert got == want, f"missing {sorted(want - got)[:5]}, extra {sorted(got - want)[:5]}"
    assert len(actual.rows[sink]) == len(expected[sink])  # and no duplicates


def test_dead_letters_and_late_lines_match(outputs):
    actual, expected = outputs
    assert Counter((r["line"], r["error"]) for r in actual.rows["dead_letters"]) \
        == Counter((r["line"], r["error"]) for r in expected["dead_letters"])
    assert Counter(r["line"] for r in actual.rows["late_transactions"]) \
        == Counter(r["line"] for r in expected["late_transactions"])
