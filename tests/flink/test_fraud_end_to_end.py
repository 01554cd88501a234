"""The whole fraud job on a generated stream against the plain-Python seed rules: same alerts.

The stream has every injected scenario, out-of-order jitter, late events and bad lines, and
transactions of one user in one millisecond and amounts on the rules' edges. Every sink is
compared as an unordered set with tests/flink/seed_rules.py (the seed's rules, less the one
documented MATCH_RECOGNIZE exception).
"""

from __future__ import annotations

from collections import Counter

import pytest

from runners.sample_data.generate_transactions import Rates, events
from tests.flink import seed_rules
from tests.flink.harness import run_job
from tests.flink.model_reference import fraud_test_model

TRANSACTIONS = 20_000


@pytest.fixture(scope="module")
def stream() -> list[str]:
    return [line for _, line, _ in events(TRANSACTIONS, users=300, seed=11, rates=Rates())]


@pytest.fixture(scope="module")
def outputs(stream, tmp_path_factory):
    actual = run_job(tmp_path_factory.mktemp("end_to_end"), stream)
    return actual, seed_rules.expected_of_job(stream, fraud_test_model().alerts())


RISK_DECIMALS = 9


def alert_set(rows: list[dict]) -> set[tuple]:
    def get(row, camel, snake):
        return row[camel] if camel in row else row[snake]

    return {(get(r, "transactionId", "transaction_id"), get(r, "alertType", "alert_type"),
             get(r, "reason", "reason"), round(get(r, "riskScore", "risk_score"), RISK_DECIMALS),
             get(r, "timestamp", "alert_time")) for r in rows}


def test_the_stream_exercises_every_detector(outputs):
    _, expected = outputs
    types = Counter(a["alertType"] for a in expected["detector_alerts"])
    assert set(types) == set(seed_rules.TYPE_ORDER), types
    assert expected["dead_letters"] and expected["late_transactions"]


def test_the_stream_holds_ties_and_edges(stream):
    valid = [txn for txn, _, error in map(seed_rules.check, stream) if not error]
    per_millisecond = Counter((t["userId"], t["timestamp"]) for t in valid)
    assert Counter(per_millisecond.values())[2] >= 10
    assert Counter(per_millisecond.values())[3] >= 3
    amounts = Counter(t["amount"] for t in valid)
    assert all(amounts[edge] >= 3 for edge in (4.99, 5.0, 500.0, 500.01)), amounts
    by_user: dict[str, list[int]] = {}
    for t in valid:
        by_user.setdefault(t["userId"], []).append(t["timestamp"])
    two_hours = sum(b - a == 7_200_000 for stamps in by_user.values()
                    for a, b in zip(sorted(stamps), sorted(stamps)[1:], strict=False))
    assert two_hours >= 2


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
