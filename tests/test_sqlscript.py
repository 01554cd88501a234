"""The SQL file parser: statements, directives, safe substitution and dependency order."""

from pathlib import Path

import pytest

from runners import sqlscript
from runners.sqlscript import ScriptError

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


def test_runner_refuses_files_that_wait_on_each_other(tmp_path):
    from runners.spark_sql import RunOptions, SparkSqlRunner

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
