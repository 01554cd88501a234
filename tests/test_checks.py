"""@check declarations (runners/engines/checks.py): parsed beside the model, run by the Spark
runner."""

from __future__ import annotations

import contextlib
import io

import pytest

from runners.engines import sqlscript
from runners.engines.checks import checks_of, column_mapping, table_statements
from runners.engines.spark_sql import RunOptions, SparkSqlRunner
from runners.engines.sqlscript import ScriptError

MODEL = """-- @param min_score = 0.5
-- @check scores.user_id not_null
-- @check scores.user_id unique
-- @check scores.band accepted_values high,low
-- @check scores expression score > ${min_score} AND score <= 1
-- @check scores.visits accepted_range 0..${max_visits}
-- @check scores.band null_rate_at_most 0.25
-- @param max_visits = 100
CREATE OR REPLACE TEMPORARY VIEW scores AS
SELECT * FROM given_scores WHERE score > ${min_score};
"""


def test_checks_are_read_from_the_file():
    checks = checks_of(sqlscript.parse(MODEL, "scores.sql"))
    assert [(c.line, c.table, c.column, c.kind, c.argument) for c in checks] == [
        (2, "scores", "user_id", "not_null", ""), (3, "scores", "user_id", "unique", ""),
        (4, "scores", "band", "accepted_values", "high,low"),
        (5, "scores", None, "expression", "score > ${min_score} AND score <= 1"),
        (6, "scores", "visits", "accepted_range", "0..${max_visits}"),
        (7, "scores", "band", "null_rate_at_most", "0.25")]
    values = {"min_score": "0.4", "max_visits": "50"}
    assert column_mapping(checks, values) == {
        "user_id": {"null_check": {"equal_to": 0}, "unique_check": {"equal_to": 0}},
        "visits": {"min": {"geq_to": 0.0}, "max": {"leq_to": 50.0}}}
    assert table_statements(checks, values) == {
        "band_accepted_values": {"check_statement": "count(*) = count(CASE WHEN (band IS NULL "
                                                    "OR band IN ('high', 'low')) THEN 1 END)"},
        "score_gt_min_score_and_score_le_1": {"check_statement":
                                              "count(*) = count(CASE WHEN (score > 0.4 AND "
                                              "score <= 1) THEN 1 END)"},
        "band_null_rate": {"check_statement": "count(*) - count(band) <= 0.25 * count(*)"}}


@pytest.mark.parametrize(("line", "error"), [
    ("-- @check scores.user_id positive", "KIND one of not_null"),
    ("-- @check others.user_id not_null", "this file does not create others"),
    ("-- @check scores.score expression score > 0", "an expression checks a table"),
    ("-- @check scores not_null", "an expression checks a table, the others a column"),
    ("-- @check scores.band accepted_values", "needs an argument"),
    ("-- @check scores.user_id unique extra", "takes no argument"),
    ("-- @check scores.x accepted_range 5", "write LOW..HIGH"),
    ("-- @check scores.x accepted_range ..", "write LOW..HIGH"),
])
def test_a_wrong_check_names_the_file_and_line(line, error):
    with pytest.raises(ScriptError, match=f"scores.sql:1: .*{error}"):
        checks_of(sqlscript.parse(line + "\nCREATE TEMP VIEW scores AS SELECT 1 AS x;",
                                  "scores.sql"))


@pytest.fixture
def given_scores(spark):
    def given(rows: list[tuple]):
        spark.createDataFrame(rows, "user_id STRING, band STRING, score DOUBLE, visits INT") \
            .createOrReplaceTempView("given_scores")
    return given


def run_checked(spark, tmp_path, variables=None) -> list[str]:
    """Run the model with --check; the checks it reported as holding, in order."""
    path = tmp_path / "scores.sql"
    path.write_text(MODEL)
    options = RunOptions(variables={"lake_path": str(tmp_path / "lake"), **(variables or {})},
                         upstream=False, publish=False, echo=True, check=True)
    said = io.StringIO()
    with contextlib.redirect_stdout(said):
        SparkSqlRunner(spark).run([sqlscript.load(path)], options)
    return [line.strip() for line in said.getvalue().splitlines() if line.strip().startswith(
        "check ")]


ALL_HOLD = ["check scores.user_id not_null: ok", "check scores.user_id unique: ok",
            "check scores.band accepted_values high,low: ok",
            "check scores expression score > ${min_score} AND score <= 1: ok",
            "check scores.visits accepted_range 0..${max_visits}: ok",
            "check scores.band null_rate_at_most 0.25: ok"]


VALID = [("u1", "high", 0.9, 0), ("u2", "low", 0.51, 100), ("u3", "low", 1.0, None),
         ("u4", None, 0.7, 3)]  # NULL visits and a NULL band pass their checks


def test_checks_pass_on_valid_rows(spark, tmp_path, given_scores):
    given_scores(VALID)
    assert run_checked(spark, tmp_path) == ALL_HOLD


@pytest.mark.parametrize(("extra", "line", "count"), [
    (("u1", "high", 0.8, 1), 3, 1),      # a repeated user_id
    ((None, "high", 0.8, 1), 2, 1),      # a NULL user_id
    (("u5", "medium", 0.8, 1), 4, 1),    # a band not accepted
    (("u5", "low", 1.01, 1), 5, 1),      # above 1
    (("u5", "low", 0.8, -1), 6, 1),      # below the range
    (("u5", "low", 0.8, 101), 6, 1),     # above it
    (("u5", None, 0.8, 1), 7, 2),        # 2 NULL bands in 5 rows: over a quarter
])
def test_a_failing_check_stops_the_run_and_names_its_line(spark, tmp_path, given_scores, extra,
                                                          line, count):
    given_scores([*VALID, extra])
    with pytest.raises(ScriptError, match=f"scores.sql:{line}: @check .* failed: {count} row"):
        run_checked(spark, tmp_path)


def test_a_check_follows_the_parameter_the_run_used(spark, tmp_path, given_scores):
    """The rule and its check move together: with min_score 0.4 the 0.45 row is kept and its
    check holds; a check that kept the default 0.5 would fail on it."""
    given_scores([*VALID, ("u5", "low", 0.45, 1)])
    assert run_checked(spark, tmp_path, {"min_score": "0.4"}) == ALL_HOLD
    assert spark.table("scores").filter("user_id = 'u5'").count() == 1
