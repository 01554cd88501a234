"""The documentation site: it builds with --strict, the catalog covers every SQL file with its
lineage, the graphs draw exactly the model graph's edges, and the documented flags exist.

The expected edges come from sqlscript.model_graph (the graph the runner and the batch DAG use),
or, for the fraud job's views, from the files' CREATE statements read here with a plain regex.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from runners import CHECKOUT
from runners.docs import catalog, graph_drawing
from runners.engines import flink_sql, spark_sql, sqlscript

SQL = CHECKOUT / "sql"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`mkdocs build --strict` of the checkout, into a folder of the test's own."""
    out = tmp_path_factory.mktemp("site")
    built = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d",
                            str(out)], cwd=CHECKOUT, capture_output=True, text=True,
                           env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"})
    assert built.returncode == 0, built.stderr[-3000:]
    return out


def test_every_sql_file_has_its_catalog_page(site: Path) -> None:
    files = sorted(SQL.rglob("*.sql"))
    assert len(files) > 30  # the glob finds them
    missing = [f for f in files
               if not (site / "catalog" / f.relative_to(SQL).with_suffix(".html")).is_file()]
    assert missing == []


def test_a_page_shows_header_params_checks_columns_and_lineage(site: Path) -> None:
    page = (site / "catalog" / "spark" / "segments.html").read_text()
    for shown in ("each user's funnel counts", "premium_above", "1000",
                  "accepted_values", "premium,regular,casual", "conversion_rate",
                  'href="user_day_activity.html"'):
        assert shown in page, shown
    upstream = (site / "catalog" / "spark" / "user_day_activity.html").read_text()
    assert 'href="segments.html"' in upstream and 'href="daily_stats.html"' in upstream


def test_each_flink_table_and_view_has_its_page_with_lineage(site: Path) -> None:
    created = {name for path in (SQL / "flink").rglob("*.sql")
               for name in re.findall(r"CREATE TEMPORARY (?:TABLE|VIEW|MODEL) (\w+)",
                                      path.read_text())}
    views = site / "catalog" / "flink" / "views"
    assert {p.stem for p in views.glob("*.html")} == created
    page = (views / "transactions_with_history.html").read_text()
    assert 'href="transactions.html"' in page and 'href="unusual_amount_alerts.html"' in page


@pytest.mark.parametrize("name, folder", [("batch", SQL / "spark"),
                                          ("churn", SQL / "spark" / "churn")])
def test_the_drawn_file_graph_is_model_graphs(site: Path, name: str, folder: Path) -> None:
    models = sqlscript.model_graph([sqlscript.load(p) for p in sorted(folder.glob("*.sql"))])
    expected = {(up.stem, m.script.path.stem) for m in models for up in m.upstream}
    drawn = graph_drawing.drawn_edges((site / "catalog" / f"{name}.svg").read_text())
    assert expected and drawn == expected
    index = (site / "catalog" / "index.html").read_text()
    assert graph_drawing.drawn_edges(index) >= expected  # inlined, with links to the pages
    assert 'href="spark/segments.html"' in index


def test_the_fraud_jobs_drawn_views_project_onto_model_graph(site: Path) -> None:
    """Each drawn edge between views, mapped to the files that create them, is an edge of the
    job's model graph, and every edge of that graph is drawn; the job file's INSERTs draw
    their source views into the sinks."""
    scripts = flink_sql.collect_scripts([SQL / "flink" / "fraud_detection.sql"],
                                        [SQL / "flink" / "connectors" / "files.sql"])
    models = sqlscript.model_graph(scripts)
    expected = {(up.name, m.script.path.name) for m in models for up in m.upstream}
    creator = {name: script.path.name for script in scripts
               for name in re.findall(r"CREATE TEMPORARY (?:TABLE|VIEW|MODEL) (\w+)",
                                      script.path.read_text())}
    job = (SQL / "flink" / "fraud_detection.sql").read_text()
    inserted = set(re.findall(r"INSERT INTO (\w+)", job))
    selected = set(re.findall(r"FROM (\w+)", job))
    drawn = graph_drawing.drawn_edges((site / "catalog" / "fraud_job.svg").read_text())
    projected = set()
    for source, target in drawn:
        if target in inserted and source in selected:  # the statement set writes the sink
            projected |= {(creator[source], "fraud_detection.sql"),
                          (creator[target], "fraud_detection.sql")}
        elif creator[source] != creator[target]:
            projected.add((creator[source], creator[target]))
    assert projected == expected
    assert ("combined_alerts", "fraud_alerts") in drawn
    assert ("transactions_with_history", "unusual_amount_alerts") in drawn


def test_a_header_without_a_section_is_named_in_the_build(tmp_path: Path, caplog) -> None:
    sql = tmp_path / "sql"
    shutil.copytree(SQL, sql)
    broken = sql / "spark" / "segments.sql"
    broken.write_text(broken.read_text().replace("-- Parameters:", "-- Knobs:"))
    assert catalog.missing_sections(broken) == ["Parameters"]
    assert catalog.missing_sections(SQL / "spark" / "segments.sql") == []

    from mkdocs.config import load_config

    from runners.docs import mkdocs_hooks

    config = load_config(str(CHECKOUT / "mkdocs.yml"))
    with pytest.MonkeyPatch.context() as patch, caplog.at_level(logging.WARNING):
        patch.setattr(catalog, "SQL", sql)
        # Set while MkDocs runs its hooks; File.generated reads it.
        patch.setattr(config.plugins, "_current_plugin", None, raising=False)
        from mkdocs.structure.files import Files

        mkdocs_hooks.on_files(Files([]), config)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == ["catalog: sql/spark/segments.sql: its header has no Parameters: section"]


def documented_flags(command: str) -> set[str]:
    """The --flags written after `command` in README.md and docs/, continuation lines included."""
    flags: set[str] = set()
    for page in [CHECKOUT / "README.md", *sorted((CHECKOUT / "docs").rglob("*.md"))]:
        lines = page.read_text().splitlines()
        for number, line in enumerate(lines):
            if command not in line:
                continue
            text = line[line.index(command):]
            while text.rstrip().endswith("\\") and number + 1 < len(lines):
                number += 1
                text += " " + lines[number]
            flags |= set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", text.split("`")[0]))
    return flags


@pytest.mark.parametrize("command, parser", [("spark_sql.py", spark_sql.argument_parser),
                                             ("flink_sql.py", flink_sql.argument_parser)])
def test_every_documented_flag_exists(command: str, parser) -> None:
    known = {option for action in parser()._actions for option in action.option_strings}
    flags = documented_flags(command)
    assert "--var" in flags  # the scan finds the examples
    assert flags - known == set()


def test_the_cli_reference_is_the_parsers_help(site: Path) -> None:
    page = (site / "reference" / "cli.html").read_text()
    for flag in ("--no-upstream", "--remote", "--restore", "--render", "--jobmanager"):
        assert flag in page
