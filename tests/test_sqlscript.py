"""The SQL file parser: statements, directives, safe substitution and dependency order."""

from pathlib import Path

import pytest

from runners.engines import sqlscript
from runners.engines.sqlscript import ScriptError

SCRIPT = """-- header; with a semicolon
-- @param events_path = data/x
-- @output t partition_by=date publish

CREATE TEMPORARY VIEW a AS SELECT 'x;y' AS s, "q;" AS d, `b;c` FROM z; /* c; */
SELECT 'it\\'s; ok'
  FROM a;

-- @step udfs.fpgrowth.mine baskets=a support=${s}
SELECT 1
"""


def test_splits_statements_and_keeps_directives_in_order():
    script = sqlscript.parse(SCRIPT, "f.sql")
    kinds = [(type(i).__name__, getattr(i, "line", None)) for i in script.items]
    assert kinds == [("Directive", 2), ("Directive", 3), ("Statement", 5),
                     ("Statement", 6), ("Directive", 9), ("Statement", 10)]
    assert [s.text for s in script.statements] == [
        "CREATE TEMPORARY VIEW a AS SELECT 'x;y' AS s, \"q;\" AS d, `b;c` FROM z",
        "SELECT 'it\\'s; ok'\n  FROM a",
        "SELECT 1",
    ]
    assert [s.number for s in script.statements] == [1, 2, 3]
    assert script.params == {"events_path": "data/x"}
    assert script.outputs == [sqlscript.Output("t", ("date",), True)]


def test_flink_strings_have_no_backslash_escape():
    script = sqlscript.parse("SELECT 'a\\'; SELECT 'b'", dialect="flink")
    assert [s.text for s in script.statements] == ["SELECT 'a\\'", "SELECT 'b'"]


def test_unterminated_quote_names_the_line():
    with pytest.raises(ScriptError, match=r"f.sql:2: unterminated ' quote"):
        sqlscript.parse("SELECT 1;\nSELECT 'oops", "f.sql")


@pytest.mark.parametrize("value, expected", [
    ("data/lake", "SELECT * FROM parquet.`data/lake` WHERE p = 'data/lake'"),
    ("x' OR '1'='1", "SELECT * FROM parquet.`x' OR '1'='1` WHERE p = 'x\\' OR \\'1\\'=\\'1'"),
    ("a`b\\", "SELECT * FROM parquet.`a``b\\` WHERE p = 'a`b\\\\'"),
])
def test_substitution_escapes_for_where_the_variable_stands(value, expected):
    sql = "SELECT * FROM parquet.`${v}` WHERE p = '${v}'"
    assert sqlscript.substitute(sql, {"v": value}) == expected


def test_flink_string_escape_doubles_quotes():
    assert sqlscript.substitute("'${v}'", {"v": "it's"}, dialect="flink") == "'it''s'"


@pytest.mark.parametrize("value", ["1; DROP TABLE t", "1 OR 1=1", "a b", "'x'", ""])
def test_bare_variables_accept_only_numbers_and_identifiers(value):
    with pytest.raises(ScriptError, match="must be a number or a plain identifier"):
        sqlscript.substitute("SELECT ${v}", {"v": value}, path="f.sql", line=3)


@pytest.mark.parametrize("value", ["10", "-2.5", "1e-3", "purchase_baskets"])
def test_bare_numbers_and_identifiers_pass(value):
    assert sqlscript.substitute("SELECT ${v}", {"v": value}) == f"SELECT {value}"


def test_missing_variable_names_file_line_and_how_to_set_it():
    with pytest.raises(ScriptError) as error:
        sqlscript.substitute("SELECT 1\nFROM t\nWHERE x > ${limit}", {}, path="f.sql", line=7)
    assert str(error.value).startswith("f.sql:9: variable ${limit} has no value")
    assert "--var limit=" in str(error.value)


def test_comments_are_not_substituted():
    assert sqlscript.substitute("SELECT 1 -- ${nothing}", {}) == "SELECT 1 -- ${nothing}"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_dependency_order_follows_what_files_create_and_read(tmp_path):
    write(tmp_path, "a_report.sql", "SELECT * FROM segments_v JOIN cleaned ON true")
    write(tmp_path, "b_segments.sql", "CREATE OR REPLACE TEMPORARY VIEW segments_v AS "
                                      "SELECT * FROM cleaned")
    write(tmp_path, "c_clean.sql", "-- @output cleaned\nCREATE TEMP VIEW cleaned AS SELECT 1")
    write(tmp_path, "d_other.sql", "SELECT 'cleaned' AS not_a_reference")
    scripts = [sqlscript.load(p) for p in sorted(tmp_path.glob("*.sql"))]
    assert [s.path.name for s in sqlscript.dependency_order(scripts)] == [
        "c_clean.sql", "b_segments.sql", "a_report.sql", "d_other.sql"]
    report = next(s for s in scripts if s.path.name == "a_report.sql")
    assert [s.path.name for s in sqlscript.upstream_of(report, scripts)] == [
        "c_clean.sql", "b_segments.sql", "a_report.sql"]


def test_dependency_cycle_is_an_error(tmp_path):
    write(tmp_path, "x.sql", "CREATE TEMP VIEW x AS SELECT * FROM y")
    write(tmp_path, "y.sql", "CREATE TEMP VIEW y AS SELECT * FROM x")
    scripts = [sqlscript.load(p) for p in sorted(tmp_path.glob("*.sql"))]
    with pytest.raises(ScriptError, match="cycle: x.sql -> y.sql -> x.sql"):
        sqlscript.dependency_order(scripts)


def test_repository_files_form_the_expected_order():
    folder = Path(__file__).resolve().parent.parent / "sql" / "spark"
    scripts = sqlscript.dependency_order([sqlscript.load(p) for p in folder.glob("*.sql")])
    names = [s.path.stem for s in scripts]
    assert names[0] == "clean_events"
    assert names.index("purchase_baskets") < names.index("fpgrowth")
    assert names.index("fpgrowth") < names.index("product_recommendations")
    assert sorted(names) == sorted(["clean_events", "daily_stats", "purchase_baskets",
                                    "quarantined_events", "user_day_activity", "purchases",
                                    "fpgrowth", "popular_products", "product_recommendations",
                                    "segments"])


def graph_of(folder: Path) -> dict[str, list[str]]:
    """file stem -> the stems of the files it depends on."""
    scripts = [sqlscript.load(p) for p in sorted(folder.glob("*.sql"))]
    return {m.script.path.stem: [p.stem for p in m.upstream]
            for m in sqlscript.model_graph(scripts)}


@pytest.mark.parametrize("reader", [
    "SELECT user_id, purchases FROM activity",                      # a column
    "SELECT count(*) AS purchases FROM activity",                   # an alias
    "SELECT a.user_id FROM activity AS purchases JOIN activity AS a ON true",  # a table alias
    "WITH purchases AS (SELECT * FROM activity) SELECT * FROM purchases",       # a CTE
    "SELECT * FROM (SELECT user_id FROM activity) AS purchases",    # a subquery
    "SELECT 'purchases' AS word, `purchases` FROM activity",        # a string, a quoted column
    "SELECT * FROM activity WHERE purchases > ${purchases}",        # a variable
])
def test_a_name_that_is_not_a_table_reference_makes_no_edge(tmp_path, reader):
    write(tmp_path, "activity.sql", "CREATE TEMP VIEW activity AS SELECT 1 AS user_id")
    write(tmp_path, "purchases.sql", "CREATE TEMP VIEW purchases AS SELECT 1 AS user_id")
    write(tmp_path, "segments.sql", f"CREATE TEMP VIEW segments AS {reader}")
    assert graph_of(tmp_path)["segments"] == ["activity"]


@pytest.mark.parametrize("reader", [
    "SELECT * FROM purchases",
    "SELECT * FROM activity JOIN purchases USING (user_id)",
    "SELECT * FROM activity WHERE user_id IN (SELECT user_id FROM purchases)",
    "WITH recent AS (SELECT * FROM purchases) SELECT * FROM recent",
    "SELECT * FROM activity UNION ALL SELECT * FROM `purchases`",
])
def test_a_table_reference_makes_an_edge(tmp_path, reader):
    write(tmp_path, "activity.sql", "CREATE TEMP VIEW activity AS SELECT 1 AS user_id")
    write(tmp_path, "purchases.sql", "CREATE TEMP VIEW purchases AS SELECT 1 AS user_id")
    write(tmp_path, "segments.sql", f"CREATE TEMP VIEW segments AS {reader}")
    assert "purchases" in graph_of(tmp_path)["segments"]


def test_a_file_does_not_read_the_views_it_creates(tmp_path):
    write(tmp_path, "a.sql", "CREATE TEMP VIEW step_one AS SELECT 1 AS x;\n"
                             "CREATE TEMP VIEW step_two AS SELECT x FROM step_one")
    write(tmp_path, "b.sql", "CREATE TEMP VIEW step_one AS SELECT 2 AS x")
    (model,) = [m for m in sqlscript.model_graph([sqlscript.load(tmp_path / "a.sql")])]
    assert model.reads == () and model.writes == ("step_one", "step_two")
    assert graph_of(tmp_path)["a"] == []


def test_a_step_declares_what_it_reads_and_writes(tmp_path):
    write(tmp_path, "baskets.sql", "CREATE TEMP VIEW baskets AS SELECT 1 AS items")
    write(tmp_path, "mine.sql", "-- @step udfs.fpgrowth.mine reads=baskets writes=itemsets,rules "
                                "support=0.1\nCREATE TEMP VIEW top AS SELECT * FROM itemsets")
    write(tmp_path, "report.sql", "SELECT * FROM rules")
    assert graph_of(tmp_path) == {"baskets": [], "mine": ["baskets"], "report": ["mine"]}


def test_sql_the_parser_cannot_read_names_the_file_and_line(tmp_path):
    path = write(tmp_path, "broken.sql", "SELECT 1;\n\nCREATE TEMP VIEW v AS SELECT (1 FROM x")
    with pytest.raises(ScriptError, match="broken.sql:3: statement 2: cannot read its table"):
        sqlscript.load(path).references()


def test_segments_depends_on_user_day_activity_only():
    folder = Path(__file__).resolve().parent.parent / "sql" / "spark"
    graph = graph_of(folder)
    assert graph["segments"] == ["user_day_activity"]
    assert graph == {
        "clean_events": [], "user_day_activity": ["clean_events"],
        "daily_stats": ["user_day_activity"], "purchases": ["clean_events"],
        "purchase_baskets": ["purchases"], "fpgrowth": ["purchase_baskets"],
        "popular_products": ["purchases"], "product_recommendations": ["fpgrowth"],
        "quarantined_events": ["clean_events"], "segments": ["user_day_activity"]}


def test_list_prints_each_file_with_what_it_reads_and_writes(capsys):
    from runners.engines import spark_sql

    assert spark_sql.main(["--list", "sql/spark/segments.sql"]) == 0
    lines = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert lines == [
        ["sql/spark/clean_events.sql", "reads", "-", "writes", "classified_events,",
         "clean_events,", "raw_events"],
        ["sql/spark/user_day_activity.sql", "reads", "clean_events", "writes",
         "user_day_activity"],
        ["sql/spark/segments.sql", "reads", "user_day_activity", "writes", "user_segments"]]


def test_runner_refuses_files_that_wait_on_each_other(tmp_path):
    from runners.engines.spark_sql import RunOptions, SparkSqlRunner

    write(tmp_path, "x.sql", "CREATE TEMP VIEW x AS SELECT * FROM y")
    write(tmp_path, "y.sql", "CREATE TEMP VIEW y AS SELECT * FROM x")
    scripts = [sqlscript.load(p) for p in sorted(tmp_path.glob("*.sql"))]
    runner = SparkSqlRunner(spark=None)
    with pytest.raises(ScriptError, match="files wait on each other: x.sql, y.sql"):
        runner._run_all(scripts, {}, lake=None, options=RunOptions(echo=False), result=None)


def test_a_profile_variable_without_its_environment_fails_only_when_used(tmp_path, monkeypatch):
    from runners.profiles import ProfileError, load_profile, value_of

    monkeypatch.delenv("SQLPLATFORM_TEST_UNSET", raising=False)
    path = tmp_path / "p.toml"
    path.write_text('[vars]\nneeded = "${env:SQLPLATFORM_TEST_UNSET}"\nother = "x"\n')
    profile = load_profile(str(path))
    assert value_of(profile.vars, "other") == "x"
    with pytest.raises(ProfileError, match="SQLPLATFORM_TEST_UNSET"):
        value_of(profile.vars, "needed")
    script = sqlscript.parse("SELECT '${needed}';", tmp_path / "q.sql")
    with pytest.raises(ScriptError, match="SQLPLATFORM_TEST_UNSET"):
        sqlscript.substitute(script.statements[0].text, profile.vars, path=script.path)
