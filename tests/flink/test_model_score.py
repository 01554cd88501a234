"""The fraud model in the job: features, scores, the feature log and the sixth alert type.

One run of the whole job over a generated stream (every scenario, ties, late and bad lines) and
hand-written users on the features' edges, with the tests' model
(model_reference.fraud_test_model). Expected rows come from tests/flink/model_reference.py:
the features in plain Python, the scores from the model file through ONNX Runtime's Python
package (the job uses its Java one).
  features   every one, for every valid on-time transaction, NULL where undefined; the edges:
             a minute exactly and 1 ms less, the fifth and sixth previous amount, $4.99 and
             $5.00, a mean of 0 and of 0.5, a spread of 0 and of 0.0625, a tie far away and
             1 ms apart, the hour's first and last millisecond;
  scores     one per valid transaction, with the version, equal to the model file's;
  alerts     MODEL_SCORE above min_model_score, scores on both sides of it, combined with the
             five rules' alerts as the sixth type.
"""

from __future__ import annotations

import datetime
import json

import pytest

from runners.sample_data.generate_transactions import Rates, events
from tests.flink import seed_rules
from tests.flink.harness import T0, run_job, txn
from tests.flink.model_reference import NAMES, feature_rows, fraud_test_model
from tests.flink.test_fraud_end_to_end import alert_set

HOUR = 3600.0


def edge_cases(start: float) -> list[dict]:
    """Hand-written users, `start` seconds after T0 (after the generated stream)."""
    at = start
    cases = [
        # The last minute: 59.999 s counts the first, 60 s no longer does.
        txn("f-min-1", "f-min", at), txn("f-min-2", "f-min", at + 59.999),
        txn("f-min-3", "f-min", at + 60.0),
        # Card tests among the previous five: $4.99 is one and $5.00 is not; the fifth
        # previous counts, the sixth does not.
        *[txn(f"f-small-{n}", "f-small", at + 100 * n, amount)
          for n, amount in enumerate([1.0, 50.0, 50.0, 4.99, 5.0, 50.0, 50.0, 60.0], start=1)],
        # A mean of 0, then of 0.5; a spread of 0 (one amount), then of 0.0625.
        txn("f-zero-1", "f-zero", at, 0.0), txn("f-zero-2", "f-zero", at + 50, 10.0),
        txn("f-half-1", "f-half", at, 0.5), txn("f-half-2", "f-half", at + 50, 10.0),
        txn("f-var-1", "f-var", at, 10.0), txn("f-var-2", "f-var", at + 50, 10.5),
        txn("f-var-3", "f-var", at + 100, 11.0),
        # A tie far away (0 ms: speed over 1 ms) and 1 ms later somewhere else.
        txn("f-tie-1", "f-tie", at), txn("f-tie-2", "f-tie", at, lat=51.5074, lon=-0.1278),
        txn("f-tie-3", "f-tie", at + 0.001, lat=48.8566, lon=2.3522),
        # A high-risk merchant, and the first and last millisecond of an hour.
        txn("f-risky-1", "f-risky", at, category="CRYPTO"),
        txn("f-hour-1", "f-hour", HOUR * (start // HOUR + 2)),
        txn("f-hour-2", "f-hour", HOUR * (start // HOUR + 3) - 0.001),
    ]
    return sorted(cases, key=lambda t: t["timestamp"])  # within the watermark, in order


@pytest.fixture(scope="module")
def lines() -> list[str]:
    stream = [line for _, line, _ in events(1000, users=20, seed=31, rates=Rates())]
    last = max(ts for _, ts, error in map(seed_rules.check, stream) if not error)
    start = (last - T0) / 1000 + HOUR
    closing = txn("f-end", "f-end", start + 24 * HOUR)  # closes every window
    return stream + [json.dumps(t) for t in [*edge_cases(start), closing]]


@pytest.fixture(scope="module")
def output(tmp_path_factory, lines):
    return run_job(tmp_path_factory.mktemp("model"), lines)


@pytest.fixture(scope="module")
def reference(lines) -> dict[str, dict]:
    return feature_rows(lines)


def test_every_valid_transaction_is_scored_once_with_the_models_version(output, reference):
    scored = [r["transaction_id"] for r in output.rows["fraud_scores"]]
    assert sorted(scored) == sorted(reference)
    assert {r["model_version"] for r in output.rows["fraud_scores"]} == {"test-1"}


def test_the_scores_are_the_model_files_on_the_reference_features(output, reference):
    model = fraud_test_model()
    ids = sorted(reference)
    expected = dict(zip(ids, model.scores([reference[i] for i in ids]), strict=True))
    got = {r["transaction_id"]: r["fraud_score"] for r in output.rows["fraud_scores"]}
    # To the last bit: the provider sums the trees as ONNX Runtime does. (Its logistic may
    # round the other way once in tens of thousands of rows: none of these.)
    assert got == expected


def close(got, want) -> bool:
    if want is None or got is None:
        return got is want
    return got == pytest.approx(want, rel=1e-11, abs=1e-12)


def test_the_feature_log_holds_the_reference_features_by_day(output, reference):
    logged = {r["transaction_id"]: r for r in output.rows["feature_log"]}
    assert len(output.rows["feature_log"]) == len(logged) == len(reference)
    wrong = [(i, name, logged[i][name], want[name]) for i, want in reference.items()
             for name in NAMES if not close(logged[i][name], want[name])]
    assert not wrong, wrong[:10]
    for i, want in reference.items():
        day = datetime.datetime.fromtimestamp(want["transaction_time"] / 1000, datetime.UTC)
        assert logged[i]["day"] == day.strftime("%Y-%m-%d")
        assert logged[i]["model_version"] == "test-1"
        assert logged[i]["transaction_time"] == want["transaction_time"]


@pytest.mark.parametrize(("transaction_id", "feature", "value"), [
    ("f-min-2", "recent_count", 2.0), ("f-min-3", "recent_count", 2.0),
    ("f-small-6", "previous_small", 2.0), ("f-small-7", "previous_small", 1.0),
    ("f-small-8", "previous_small", 1.0),
    ("f-zero-2", "amount_to_mean", None), ("f-half-2", "amount_to_mean", 20.0),
    ("f-var-2", "amount_zscore", None), ("f-var-3", "amount_zscore", 3.0),
    ("f-zero-1", "amount_to_mean", None), ("f-zero-1", "seconds_since_previous", None),
    ("f-tie-2", "seconds_since_previous", 0.0), ("f-tie-3", "seconds_since_previous", 0.001),
    ("f-risky-1", "high_risk_merchant", 1.0), ("f-min-1", "high_risk_merchant", 0.0),
    ("f-tie-1", "km_from_first", 0.0), ("f-tie-1", "km_from_previous", None),
])
def test_a_feature_on_its_edge(output, transaction_id, feature, value):
    """Written by hand from the definitions, beside the reference's every row."""
    logged = next(r for r in output.rows["feature_log"] if r["transaction_id"] == transaction_id)
    assert close(logged[feature], value), logged[feature]


def test_the_hour_of_day_is_utc_from_its_first_to_its_last_millisecond(output):
    """f-hour-1 at an hour's first millisecond, f-hour-2 at its last: both that UTC hour."""
    logged = {r["transaction_id"]: r for r in output.rows["feature_log"]
              if r["transaction_id"].startswith("f-hour")}
    utc = datetime.datetime.fromtimestamp(logged["f-hour-1"]["transaction_time"] / 1000,
                                          datetime.UTC)
    assert (utc.minute, utc.second, utc.microsecond) == (0, 0, 0)
    assert logged["f-hour-2"]["transaction_time"] - logged["f-hour-1"]["transaction_time"] \
        == 3_599_999
    assert {t: r["hour_of_day"] for t, r in logged.items()} \
        == {"f-hour-1": float(utc.hour), "f-hour-2": float(utc.hour)}


def test_a_tie_far_away_is_fast_over_one_millisecond(output, reference):
    logged = {r["transaction_id"]: r for r in output.rows["feature_log"]}
    km = logged["f-tie-2"]["km_from_previous"]
    assert 5500 < km < 5600  # New York to London
    assert close(logged["f-tie-2"]["speed_kmh"], km * 3_600_000)
    assert close(logged["f-tie-3"]["speed_kmh"], logged["f-tie-3"]["km_from_previous"] * 3_600_000)
    assert 5800 < logged["f-tie-3"]["km_from_first"] < 5870  # New York to Paris


def model_alerts(rows: list[dict]) -> set[tuple]:
    return {a for a in alert_set(rows) if a[1] == "MODEL_SCORE"}


def test_model_alerts_are_the_scores_above_the_threshold(output, lines):
    expected = seed_rules.expected_of_job(lines, fraud_test_model().alerts())
    want = model_alerts(expected["detector_alerts"])
    assert model_alerts(output.rows["detector_alerts"]) == want
    assert want  # the model alerts on this stream
    assert all(reason.startswith("Fraud model test-1 scored ") for _, _, reason, _, _ in want)


def test_scores_lie_on_both_sides_of_the_threshold(output):
    """So a threshold moved by 0.1 either way changes the alerts."""
    scores = [r["fraud_score"] for r in output.rows["fraud_scores"]]
    assert any(0.4 < s <= 0.5 for s in scores) and any(0.5 < s <= 0.6 for s in scores)


def test_every_alert_sink_matches_the_reference_with_the_model(output, lines):
    expected = seed_rules.expected_of_job(lines, fraud_test_model().alerts())
    for sink in ("detector_alerts", "fraud_alerts", "alert_history"):
        want, got = alert_set(expected[sink]), alert_set(output.rows[sink])
        assert got == want, (sink, sorted(want - got)[:5], sorted(got - want)[:5])
        assert len(output.rows[sink]) == len(expected[sink]), sink
    combined = {a[1] for a in alert_set(output.rows["alert_history"])}
    assert any("MODEL_SCORE" in t and "," in t for t in combined)  # combined with a rule's
