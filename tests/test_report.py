"""The report's queries (sql/report/) on given rows, and the page runners/report/report.py
draws.

dbt-style: input rows written as the lake's Parquet, the fraud job's JSON lines and the churn
DAG's report; each query's exact output rows.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from runners.report import report

REPORT_SQL = Path(__file__).resolve().parents[1] / "sql" / "report"


def write_table(lake: Path, table: str, rows: list[dict], schema: pa.Schema) -> None:
    (lake / table).mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), lake / table / "part-0.parquet")


def alert(type_: str, at: str) -> tuple[str, dict]:
    millis = int(dt.datetime.fromisoformat(at).replace(tzinfo=dt.UTC).timestamp() * 1000)
    return type_, {"transactionId": "T1", "userId": "U1", "reason": "r", "riskScore": 0.5,
                   "timestamp": millis}


@pytest.fixture()
def inputs(tmp_path: Path) -> dict[str, str]:
    lake = tmp_path / "lake"
    write_table(lake, "popular_products", [
        {"category": "books", "product_id": "P3", "purchase_count": 9, "avg_price": Decimal("5.00"),
         "rank": 1},
        {"category": "books", "product_id": "P1", "purchase_count": 4, "avg_price": Decimal("7.50"),
         "rank": 2},
        {"category": "books", "product_id": "P2", "purchase_count": 4, "avg_price": Decimal("2.00"),
         "rank": 2},
        {"category": "books", "product_id": "P4", "purchase_count": 1, "avg_price": Decimal("1.00"),
         "rank": 4},
        {"category": "toys", "product_id": "P9", "purchase_count": 2, "avg_price": Decimal("3.10"),
         "rank": 1},
    ], pa.schema([("category", pa.string()), ("product_id", pa.string()),
                  ("purchase_count", pa.int64()), ("avg_price", pa.decimal128(18, 2)),
                  ("rank", pa.int32())]))
    write_table(lake, "user_segments", [
        {"user_id": "U1", "segment": "casual", "total_spent": Decimal("10.00")},
        {"user_id": "U2", "segment": "premium", "total_spent": Decimal("1500.50")},
        {"user_id": "U3", "segment": "casual", "total_spent": Decimal("0.00")},
    ], pa.schema([("user_id", pa.string()), ("segment", pa.string()),
                  ("total_spent", pa.decimal128(32, 2))]))
    write_table(lake, "association_rules", [
        {"antecedent": ["P2", "P1"], "consequent": ["P3"], "confidence": 0.8, "lift": 4.0,
         "support": 0.05},
        {"antecedent": ["P9"], "consequent": ["P1"], "confidence": 0.9, "lift": 4.0,
         "support": 0.02},
        {"antecedent": ["P3"], "consequent": ["P4"], "confidence": 0.31234, "lift": 1.23456,
         "support": 0.123456},
    ], pa.schema([("antecedent", pa.list_(pa.string())), ("consequent", pa.list_(pa.string())),
                  ("confidence", pa.float64()), ("lift", pa.float64()), ("support", pa.float64())]))

    alerts = tmp_path / "alerts" / "detector_alerts"
    for type_, line in [alert("HIGH_VELOCITY", "2026-01-01 00:10:00"),
                        alert("HIGH_VELOCITY", "2026-01-01 00:59:59.999"),
                        alert("UNUSUAL_AMOUNT", "2026-01-01 02:00:00"),
                        alert("HIGH_VELOCITY", "2026-01-01 02:30:00")]:
        folder = alerts / f"alertType={type_}"
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / "part-0-0").open("a") as out:
            out.write(json.dumps(line) + "\n")

    churn = tmp_path / "reports" / "churn"
    churn.mkdir(parents=True)
    metrics = {"accuracy": 0.9, "precision": 0.8, "recall": 0.7, "f1_score": 0.7467,
               "holdout_rows": 100, "holdout_churned": 20, "date": "2026-01-02"}
    (churn / "2026-01-01.json").write_text(json.dumps(
        {"date": "2026-01-01", "status": "deployed", "metrics": {**metrics, "f1_score": 0.8}}))
    (churn / "2026-01-02.json").write_text(json.dumps(
        {"date": "2026-01-02", "status": "rejected", "min_f1": 0.75, "metrics": metrics}))
    # The fraud model against the rules: held-out T1..T6 (T1, T2, T3 fraud) and a training row.
    write_table(lake, "fraud_training_set", [
        {"transaction_id": f"T{n}", "is_fraud": int(n <= 3), "split": "holdout"}
        for n in range(1, 7)] + [{"transaction_id": "T9", "is_fraud": 1, "split": "train"}],
        pa.schema([("transaction_id", pa.string()), ("is_fraud", pa.int32()),
                   ("split", pa.string())]))
    history = tmp_path / "alerts" / "alert_history"
    history.mkdir(parents=True)
    (history / "part-0").write_text("".join(json.dumps(row) + "\n" for row in [
        {"transaction_id": "T1", "alert_type": "UNUSUAL_AMOUNT,MODEL_SCORE"},
        {"transaction_id": "T2", "alert_type": "MODEL_SCORE"},
        {"transaction_id": "T2", "alert_type": "HIGH_VELOCITY"},  # another 5-s window
        {"transaction_id": "T4", "alert_type": "MODEL_SCORE,SUSPICIOUS_MERCHANT"},
        {"transaction_id": "T5", "alert_type": "SUSPICIOUS_MERCHANT"},
        {"transaction_id": "T9", "alert_type": "IMPOSSIBLE_TRAVEL"},  # not held out
    ]))
    scores = tmp_path / "alerts" / "fraud_scores"
    scores.mkdir(parents=True)
    (scores / "part-0").write_text("".join(
        json.dumps({"transaction_id": t, "fraud_score": score}) + "\n"
        for t, score in [("T1", 1.0), ("T2", 0.96), ("T3", 0.05), ("T4", 0.0499),
                         ("T5", 0.1), ("T6", 0.0)]))
    labels = tmp_path / "labels"
    labels.mkdir()
    (labels / "fraud_labels.jsonl").write_text("".join(
        json.dumps({"transaction_id": t, "label": label, "label_time": 0}) + "\n"
        for t, label in [("T1", "fraud"), ("T2", "fraud"), ("T3", "fraud"), ("T5", "genuine")]))
    return {"lake_path": str(lake), "alerts_path": str(tmp_path / "alerts"),
            "reports_path": str(tmp_path / "reports"), "fraud_labels_path": str(labels)}


def rows_of(query: str, variables: dict[str, str]) -> list[tuple]:
    return [tuple(row.values())
            for row in report.query_rows(REPORT_SQL / f"{query}.sql", variables)]


def test_top_products_keep_ties_and_stop_at_top_n(inputs):
    assert rows_of("top_products_per_category", {**inputs, "top_n": "2"}) == [
        ("books", "P3", 9, Decimal("5.00"), 1),
        ("books", "P1", 4, Decimal("7.50"), 2),
        ("books", "P2", 4, Decimal("2.00"), 2),
        ("toys", "P9", 2, Decimal("3.10"), 1),
    ]


def test_segment_sizes_in_tier_order_with_shares(inputs):
    assert rows_of("segment_sizes", inputs) == [
        ("premium", 1, 33.3, Decimal("1500.50")),
        ("casual", 2, 66.7, Decimal("10.00")),
    ]


def test_strongest_rules_by_lift_then_confidence_items_sorted(inputs):
    assert rows_of("strongest_rules", inputs) == [
        ("P9", "P1", 0.9, 4.0, 0.02),
        ("P1, P2", "P3", 0.8, 4.0, 0.05),
        ("P3", "P4", 0.312, 1.23, 0.1235),
    ]
    assert len(rows_of("strongest_rules", {**inputs, "top_n": "1"})) == 1


def test_alerts_per_hour_with_zero_buckets(inputs):
    hour = [dt.datetime(2026, 1, 1, h) for h in range(3)]
    assert rows_of("alerts_by_type_over_time", inputs) == [
        ("HIGH_VELOCITY", hour[0], 2), ("UNUSUAL_AMOUNT", hour[0], 0),
        ("HIGH_VELOCITY", hour[1], 0), ("UNUSUAL_AMOUNT", hour[1], 0),
        ("HIGH_VELOCITY", hour[2], 1), ("UNUSUAL_AMOUNT", hour[2], 1),
    ]


def test_model_metrics_of_the_newest_report(inputs):
    assert rows_of("model_metrics", inputs) == [
        ("2026-01-02", "rejected", 0.75, 100, "accuracy", 0.9),
        ("2026-01-02", "rejected", 0.75, 100, "precision", 0.8),
        ("2026-01-02", "rejected", 0.75, 100, "recall", 0.7),
        ("2026-01-02", "rejected", 0.75, 100, "f1", 0.7467),
    ]


def test_each_detector_on_the_held_out_rows(inputs):
    """Flagged: a combined alert names the type. precision = flagged fraud / flagged, recall =
    flagged fraud / fraud (3 of the 6 held-out rows); 0 where nothing is flagged."""
    assert rows_of("fraud_detectors_on_held_out", inputs) == [
        (1, "HIGH_VELOCITY", 6, 3, 1, 1, 1.0, 1 / 3),
        (2, "UNUSUAL_AMOUNT", 6, 3, 1, 1, 1.0, 1 / 3),
        (3, "IMPOSSIBLE_TRAVEL", 6, 3, 0, 0, 0, 0.0),
        (4, "SUSPICIOUS_SEQUENCE", 6, 3, 0, 0, 0, 0.0),
        (5, "SUSPICIOUS_MERCHANT", 6, 3, 2, 0, 0.0, 0.0),
        (6, "MODEL_SCORE", 6, 3, 3, 2, 2 / 3, 2 / 3),
    ]


def test_the_score_distribution_by_truth_with_empty_buckets(inputs):
    rows = rows_of("fraud_score_distribution", inputs)
    assert len(rows) == 40 and [r[1] for r in rows[:20]] == [b / 20 for b in range(20)]
    assert [r[2] for r in rows[:20]] == [(b + 1) / 20 for b in range(20)]
    counts = {(truth, start): n for truth, start, _, n in rows if n}
    # 1.0 falls in the last bucket, 0.05 opens the second, 0.0499 stays in the first.
    assert counts == {("fraud", 0.95): 2, ("fraud", 0.05): 1,
                      ("genuine", 0.0): 2, ("genuine", 0.1): 1}
    assert rows_of("fraud_score_distribution", {**inputs, "bucket_count": "10"})[-1][1:] \
        == (0.9, 1.0, 0)


def test_page_has_a_chart_per_section(inputs, tmp_path):
    out = tmp_path / "page.html"
    assert report.main(["--out", str(out)] + [f"--var={k}={v}" for k, v in inputs.items()]) == 0
    page = out.read_text()
    sections = re.findall(r'<section id="([a-z_]+)">(.*?)</section>', page, re.S)
    assert [name for name, _ in sections] == [s.query for s in report.SECTIONS]
    assert all("<svg" in body for _, body in sections)
    # One small chart per category; precision and recall; fraud and genuine scores.
    assert page.count("<figure>") == 6
    assert "3 of them confirmed fraud" in page
    assert "P1, P2 → P3" in page and "gate f1 ≥ 0.75" in page and "rejected" in page
    assert "<script" not in page


def test_missing_input_is_named_and_the_rest_is_drawn(inputs, tmp_path, capsys):
    out = tmp_path / "page.html"
    missing = tmp_path / "no-alerts"
    variables = {**inputs, "alerts_path": str(missing)}
    assert report.main(["--out", str(out)] + [f"--var={k}={v}" for k, v in variables.items()]) == 1
    problem = capsys.readouterr().err
    for query in ("alerts_by_type_over_time", "fraud_detectors_on_held_out",
                  "fraud_score_distribution"):  # the three that read the fraud job's outputs
        assert f"{query}.sql" in problem
    assert str(missing) in problem
    page = out.read_text()
    assert page.count('class="missing"') == 3 and page.count("<svg") == 5


def test_labels_are_escaped(inputs, tmp_path):
    lake = Path(inputs["lake_path"])
    (lake / "user_segments" / "part-0.parquet").unlink()
    (lake / "user_segments").rmdir()
    write_table(lake, "user_segments", [
        {"user_id": "U1", "segment": "<b>vip</b>", "total_spent": Decimal("1.00")},
    ], pa.schema([("user_id", pa.string()), ("segment", pa.string()),
                  ("total_spent", pa.decimal128(32, 2))]))
    page, problems = report.build(inputs)
    assert problems == [] and "<b>vip" not in page and "&lt;b&gt;vip&lt;/b&gt;" in page


def test_the_default_cuts_keep_5_ranks_and_10_rules(tmp_path):
    """At the defaults: ranks 1 to 6 in a category keep 5 rows; 11 rules keep 10."""
    lake = tmp_path / "lake"
    write_table(lake, "popular_products", [
        {"category": "books", "product_id": f"P{rank}", "purchase_count": 10 - rank,
         "avg_price": Decimal("1.00"), "rank": rank} for rank in range(1, 7)
    ], pa.schema([("category", pa.string()), ("product_id", pa.string()),
                  ("purchase_count", pa.int64()), ("avg_price", pa.decimal128(18, 2)),
                  ("rank", pa.int32())]))
    write_table(lake, "association_rules", [
        {"antecedent": [f"P{i:02d}"], "consequent": ["Q"], "confidence": 0.5, "lift": 20.0 - i,
         "support": 0.1} for i in range(11)
    ], pa.schema([("antecedent", pa.list_(pa.string())), ("consequent", pa.list_(pa.string())),
                  ("confidence", pa.float64()), ("lift", pa.float64()), ("support", pa.float64())]))
    variables = {"lake_path": str(lake)}
    assert [row[1] for row in rows_of("top_products_per_category", variables)] == \
        ["P1", "P2", "P3", "P4", "P5"]
    assert [row[0] for row in rows_of("strongest_rules", variables)] == \
        [f"P{i:02d}" for i in range(10)]


def test_the_longest_value_text_fits_inside_its_chart():
    """'2,073 users' after the longest bar was cut at the chart's edge (the demo's report)."""
    from runners.report import charts

    svg = charts.bar_chart([("casual", 2073), ("premium", 343)], width=380, label_width=110,
                           value_text=lambda users: f"{users:,.0f} users")
    x = float(re.search(r'<text x="([\d.]+)"[^>]*>2,073 users</text>', svg).group(1))
    assert x + 7 * len("2,073 users") <= 380
