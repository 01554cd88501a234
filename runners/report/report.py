"""The platform report: one HTML page with charts of what the batch, fraud and churn runs made.

    python runners/report/report.py [--profile local] [--var name=value ...] [--out FILE]

Each chart's rows come from one DuckDB query in sql/report/ (the file says what it reads and
returns); this module only draws them. The page is self-contained (inline SVG, no scripts, no
network). A section whose input is missing says so on the page, the runner names the file and
the input on stderr, and exits 1 after writing the rest.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path

from runners import CHECKOUT  # noqa: E402

if str(CHECKOUT) not in sys.path:
    sys.path.insert(0, str(CHECKOUT))

from runners.engines import sqlscript  # noqa: E402
from runners.profiles import (  # noqa: E402
    absolute_paths,
    load_profile,
    parse_assignments,
    value_of,
)
from runners.report import charts  # noqa: E402

REPORT_SQL = CHECKOUT / "sql" / "report"
Rows = list[dict]


@dataclass(frozen=True)
class Section:
    query: str  # a file of sql/report, without .sql
    title: str
    caption: str
    draw: Callable[[Rows], str]


def draw_top_products(rows: Rows) -> str:
    by_category: dict[str, list[tuple[str, float]]] = {}
    for row in rows:
        label = f"#{row['rank']} {row['product_id']}"
        by_category.setdefault(row["category"], []).append((label, row["purchase_count"]))
    return '<div class="grid">' + "".join(
        f"<figure><figcaption>{escape(category)}</figcaption>"
        f"{charts.bar_chart(bars, width=380, label_width=110)}</figure>"
        for category, bars in by_category.items()) + "</div>"


def draw_segments(rows: Rows) -> str:
    return charts.bar_chart(
        [(row["segment"], row["user_count"]) for row in rows],
        value_text=lambda users: f"{users:,.0f} users")


def draw_rules(rows: Rows) -> str:
    return charts.bar_chart(
        [(f"{row['if_bought']} → {row['then_buys']}", row["lift"]) for row in rows],
        width=720, label_width=300, value_text=lambda lift: f"lift {lift:.2f}")


def draw_alerts(rows: Rows) -> str:
    series: dict[str, list[tuple[dt.datetime, float]]] = {}
    for row in rows:
        series.setdefault(row["alert_type"], []).append((row["bucket_start"], row["alerts"]))
    return charts.line_chart(series)


def draw_metrics(rows: Rows) -> str:
    if not rows:
        return "<p>No churn model report yet.</p>"
    first = rows[0]
    gate = first["min_f1"]
    chart = charts.bar_chart(
        [(row["metric"], row["score"]) for row in rows], max_value=1.0,
        value_text=lambda score: f"{score:.4f}",
        marker=(gate, f"gate f1 ≥ {gate}") if gate is not None else None)
    return (f"<p>Model of {escape(str(first['model_date']))}: <strong>"
            f"{escape(str(first['status']))}</strong>, measured on "
            f"{first['holdout_rows']:,} held-out customers.</p>{chart}")


def draw_detectors(rows: Rows) -> str:
    if not rows or not rows[0]["held_out"]:
        return "<p>No held-out labelled transactions yet.</p>"
    first = rows[0]
    charts_of = [(name, [(row["detector"], row[column]) for row in rows])
                 for name, column in (("Precision", "precision_rate"), ("Recall", "recall_rate"))]
    figures = "".join(
        f"<figure><figcaption>{name}</figcaption>"
        + charts.bar_chart(bars, width=440, label_width=170, max_value=1.0,
                           value_text=lambda share: f"{share:.3f}")
        + "</figure>" for name, bars in charts_of)
    return (f"<p>{first['held_out']:,} held-out transactions, {first['fraud']:,} of them "
            f'confirmed fraud.</p><div class="grid">{figures}</div>')


def draw_scores(rows: Rows) -> str:
    by_truth: dict[str, list[tuple[str, float]]] = {}
    for row in rows:
        by_truth.setdefault(row["truth"], []).append(
            (f"{row['bucket_from']:.2f}–{row['bucket_to']:.2f}", row["transaction_count"]))
    return '<div class="grid">' + "".join(
        f"<figure><figcaption>{escape(truth)}</figcaption>"
        f"{charts.bar_chart(bars, width=440, label_width=110)}</figure>"
        for truth, bars in sorted(by_truth.items())) + "</div>"


SECTIONS = [
    Section("top_products_per_category", "Top products per category",
            "Purchases of each category's best sellers (sql/spark/popular_products.sql).",
            draw_top_products),
    Section("segment_sizes", "Segment sizes",
            "Users per spending segment (sql/spark/segments.sql).", draw_segments),
    Section("strongest_rules", "Strongest association rules",
            "Rules of highest lift from FPGrowth (sql/spark/fpgrowth.sql): buying the left "
            "side makes the right side that many times likelier.", draw_rules),
    Section("alerts_by_type_over_time", "Fraud alerts by type over time",
            "Each detector's alerts per hour of transaction time (sql/flink/).", draw_alerts),
    Section("fraud_detectors_on_held_out", "The fraud model against each rule",
            "Precision and recall of each alert type on the held-out labelled transactions of "
            "the newest fraud training set (sql/spark/fraud/, dags/fraud_model_training.py).",
            draw_detectors),
    Section("fraud_score_distribution", "Fraud scores",
            "How the deployed fraud model scored every valid transaction, confirmed fraud and "
            "the rest apart (sql/flink/scored_transactions.sql).", draw_scores),
    Section("model_metrics", "Churn model",
            "Holdout metrics of the newest churn model, and the deployment gate "
            "(dags/ml_pipeline_customer_churn.py).", draw_metrics),
]


def query_rows(path: Path, variables: dict[str, str]) -> Rows:
    """Run a report file in a fresh in-memory DuckDB; the last statement's rows."""
    import duckdb

    script = sqlscript.load(path, dialect="duckdb")
    values = absolute_paths({**script.params, **variables})
    con = duckdb.connect()
    try:
        for statement in script.statements:
            sql = sqlscript.substitute(statement.text, values, path=path, line=statement.line,
                                       dialect="duckdb")
            try:
                cursor = con.execute(sql)
            except duckdb.Error as error:
                first_line = str(error).strip().splitlines()[0]
                raise sqlscript.ScriptError(path, statement.line, first_line) from error
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def table_html(rows: Rows) -> str:
    if not rows:
        return "<p>No rows.</p>"
    head = "".join(f"<th>{escape(name)}</th>" for name in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{escape(str(value))}</td>" for value in row.values())
                   + "</tr>" for row in rows)
    return f"<details><summary>{len(rows)} rows</summary><table><tr>{head}</tr>{body}</table>" \
           "</details>"


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sqlplatform report</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }}
section {{ margin-bottom: 2.5em; }} .caption {{ color: #555; }}
.grid {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(390px, 1fr)); }}
figure {{ margin: 0 0 1em 0; }} figcaption {{ font-weight: 600; }}
table {{ border-collapse: collapse; font-size: 12px; }}
td, th {{ border: 1px solid #ddd; padding: 2px 6px; text-align: left; }}
.missing {{ color: #a00; }}
</style></head><body>
<h1>sqlplatform report</h1>
<p class="caption">Generated {generated} from {sources}.</p>
{sections}
</body></html>
"""


def build(variables: dict[str, str]) -> tuple[str, list[str]]:
    """The page, and the problems of the sections that could not be drawn."""
    parts, problems = [], []
    for section in SECTIONS:
        path = REPORT_SQL / f"{section.query}.sql"
        try:
            rows = query_rows(path, variables)
            body = section.draw(rows) + table_html(rows)
        except sqlscript.ScriptError as error:
            problems.append(str(error))
            body = f'<p class="missing">Not available: {escape(str(error))}</p>'
        parts.append(f'<section id="{section.query}"><h2>{escape(section.title)}</h2>'
                     f'<p class="caption">{escape(section.caption)}</p>{body}</section>')
    sources = ", ".join(f"{name} {escape(value)}" for name, value
                        in sorted(absolute_paths(variables).items()) if name.endswith("_path"))
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return PAGE.format(generated=generated, sources=sources, sections="\n".join(parts)), problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="local")
    parser.add_argument("--var", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--out", type=Path, help="default: ${reports_path}/platform_report.html")
    args = parser.parse_args(argv)
    profile = load_profile(args.profile)
    variables = {name: value for name, value in profile.vars.items()
                 if not getattr(value, "env_name", None)}
    variables.update(parse_assignments(args.var))
    page, problems = build(variables)
    reports = absolute_paths({"reports_path": value_of(variables, "reports_path")})
    out = args.out or Path(reports["reports_path"]) / "platform_report.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    for problem in problems:
        print(f"report: {problem}", file=sys.stderr)
    print(f"report: {out.resolve()}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
