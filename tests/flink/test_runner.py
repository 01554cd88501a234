"""The Flink runner's own work, without a cluster: which files, which statements, the swap."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runners.engines import flink_sql
from runners.engines.sqlscript import ScriptError, parse
from runners.profiles import ProfileError

REPO = Path(__file__).resolve().parents[2]
JOB = REPO / "sql" / "flink" / "fraud_detection.sql"
FILES_CONNECTORS = REPO / "sql" / "flink" / "connectors" / "files.sql"


def test_the_job_pulls_its_upstream_files_in_order():
    names = [s.path.name for s in flink_sql.collect_scripts([JOB], FILES_CONNECTORS)]
    assert names[:3] == ["schemas.sql", "files.sql", "transactions.sql"]
    assert names[-2:] == ["alert_aggregation.sql", "fraud_detection.sql"]
    readers = ("high_velocity.sql", "unusual_amount.sql", "impossible_travel.sql",
               "fraud_features.sql")
    assert names.index("user_history.sql") < min(names.index(n) for n in readers)
    assert names.index("fraud_features.sql") < names.index("scored_transactions.sql") \
        < names.index("model_score.sql")
    assert set(names[3:-2]) == {"user_history.sql", "high_velocity.sql", "unusual_amount.sql",
                                "impossible_travel.sql", "suspicious_sequence.sql",
                                "suspicious_merchant.sql", "fraud_features.sql",
                                "scored_transactions.sql", "model_score.sql"}


def test_a_job_in_a_subfolder_reads_the_views_above_it():
    backfill = REPO / "sql" / "flink" / "backfill" / "feature_log.sql"
    names = [s.path.name for s in flink_sql.collect_scripts([backfill], FILES_CONNECTORS)]
    assert names[-3:] == ["user_history.sql", "fraud_features.sql", "feature_log.sql"]
    assert "scored_transactions.sql" not in names  # no model: the log of a history unscored


def test_inserts_form_one_statement_set_and_set_statements_become_config(tmp_path):
    scripts = flink_sql.collect_scripts([JOB], FILES_CONNECTORS)
    extra = parse("SET 'pipeline.name' = 'fraud ''detection''';\nSELECT 1;", tmp_path / "x.sql",
                  dialect="flink")
    job = flink_sql.resolve([*scripts, extra], {"transactions_path": "/in", "alerts_path": "/out"})
    assert job.config == {"table.optimizer.reuse-optimize-block-with-digest-enabled": "true",
                          "python.fn-execution.bundle.time": "100",
                          "pipeline.name": "fraud 'detection'"}
    assert [s.first_word for _, s, _ in job.inserts] == ["INSERT"] * 7
    job.settings = {"pipeline.jars": "file:///j/a.jar", "python.files": "/u.zip"}
    rendered = flink_sql.render(job)
    assert "ADD JAR '/j/a.jar';" in rendered
    assert "SET 'pipeline.name' = 'fraud ''detection''';" in rendered
    body = rendered.split("EXECUTE STATEMENT SET BEGIN", 1)[1]
    assert body.count("INSERT INTO") == 7 and body.rstrip().endswith("END;")
    assert "'path' = '/in'" in rendered and "'path' = '/out/fraud_alerts'" in rendered


def test_a_malformed_set_names_the_file_and_line(tmp_path):
    script = parse("\nSET pipeline.name = x;", tmp_path / "bad.sql", dialect="flink")
    with pytest.raises(ScriptError, match="bad.sql:2"):
        flink_sql.resolve([script], {})


def test_a_value_cannot_inject_sql():
    scripts = flink_sql.collect_scripts([JOB], FILES_CONNECTORS)
    job = flink_sql.resolve(scripts, {"transactions_path": "x', 'format' = 'csv",
                                      "alerts_path": "/out"})
    source = next(sql for _, _, sql in job.statements if "TABLE transaction_lines (" in sql)
    assert "'path' = 'x'', ''format'' = ''csv'" in source


def test_outputs_are_swapped_in_whole(tmp_path):
    final = tmp_path / "alerts"
    (final / "old").mkdir(parents=True)
    staged = flink_sql.staged_outputs({"flink_replace_outputs": "alerts_path",
                                       "alerts_path": str(final)})
    _, staging = staged["alerts_path"]
    (staging / "new").mkdir(parents=True)
    flink_sql.swap_in(final, staging)
    assert [p.name for p in final.iterdir()] == ["new"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alerts"]


def test_restore_latest_picks_the_newest_completed_checkpoint(tmp_path):
    older = tmp_path / "job-a" / "chk-7"
    newer = tmp_path / "job-b" / "chk-3"
    unfinished = tmp_path / "job-b" / "chk-4"  # no _metadata yet: being written
    for folder in (older, newer, unfinished):
        folder.mkdir(parents=True)
    (older / "_metadata").write_text("a")
    (newer / "_metadata").write_text("b")
    os.utime(older / "_metadata", (1, 1))
    config = {"execution.checkpointing.dir": tmp_path.as_uri()}
    assert flink_sql.restore_config("latest", config) == {
        "execution.state-recovery.path": f"file://{newer}"}
    assert flink_sql.restore_config("/s/savepoint-1", config) == {
        "execution.state-recovery.path": "/s/savepoint-1"}


def test_restore_latest_without_a_checkpoint_says_where_it_looked(tmp_path):
    with pytest.raises(ProfileError, match=f"no completed checkpoint under {tmp_path}"):
        flink_sql.restore_config("latest", {"execution.checkpointing.dir": str(tmp_path)})
    with pytest.raises(ProfileError, match="needs execution.checkpointing.dir"):
        flink_sql.restore_config("latest", {})


def test_a_relative_checkpoint_folder_is_taken_from_the_checkout():
    config = flink_sql.base_config({"execution.checkpointing.dir": "data/checkpoints"}, None)
    assert config["execution.checkpointing.dir"] == (REPO / "data" / "checkpoints").as_uri()


def test_a_failing_local_job_fails_fast_and_names_the_cause(tmp_path):
    """With checkpointing on and no restart strategy, Flink retries a failing job forever; the
    local profile's strategy is none, so a bad replay ends at once with its cause."""
    lines = tmp_path / "lines"
    lines.mkdir()
    (lines / "part.txt").write_text("12\nnot a number\n")
    job = tmp_path / "failing_cast.sql"
    job.write_text(
        f"CREATE TEMPORARY TABLE numbers (line STRING) WITH ("
        f"'connector' = 'filesystem', 'path' = '{lines}', 'format' = 'raw');\n"
        "CREATE TEMPORARY TABLE discarded (n INT) WITH ('connector' = 'blackhole');\n"
        "INSERT INTO discarded SELECT cast(line AS INT) FROM numbers;\n")
    started = time.monotonic()
    done = subprocess.run([sys.executable, str(REPO / "runners" / "flink_sql.py"), str(job),
                           "--var", "flink_connectors="], cwd=REPO, capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    assert time.monotonic() - started < 120
    assert f"error: {job}" in done.stderr and "failed" in done.stderr
    assert "not a number" in done.stderr  # the cause: the value that does not cast


def test_a_statement_set_block_gives_its_inserts_with_their_lines(tmp_path):
    text = ("CREATE VIEW v AS SELECT 1 AS x;\n"
            "EXECUTE STATEMENT SET\nBEGIN\n  -- the first\n  INSERT INTO a SELECT x FROM v;\n"
            "  INSERT INTO b SELECT x FROM v;\nEND;\n")
    job = flink_sql.resolve([parse(text, tmp_path / "job.sql", dialect="flink")], {})
    assert [s.first_word for _, s, _ in job.statements] == ["CREATE"]
    assert [(s.line, sql) for _, s, sql in job.inserts] == [
        (5, "INSERT INTO a SELECT x FROM v"), (6, "INSERT INTO b SELECT x FROM v")]


@pytest.mark.parametrize(("text", "error"), [
    ("EXECUTE STATEMENT SET BEGIN\nINSERT INTO a SELECT 1;\n", "job.sql:1: EXECUTE STATEMENT"),
    ("EXECUTE STATEMENT SET BEGIN\nINSERT INTO a SELECT 1;\nCREATE VIEW v AS SELECT 1;\nEND;",
     "job.sql:3: a statement set holds INSERT"),
])
def test_a_broken_statement_set_names_the_file_and_line(tmp_path, text, error):
    with pytest.raises(ScriptError, match=error):
        flink_sql.resolve([parse(text, tmp_path / "job.sql", dialect="flink")], {})


def runner(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "runners" / "flink_sql.py"), *args],
                          cwd=REPO, capture_output=True, text=True, timeout=240)


def test_a_folder_runs_its_files_as_the_docstring_shows():
    """`runners/flink_sql.py sql/flink` is the job: the same script as its job file."""
    folder, job_file = runner("sql/flink", "--render"), runner(str(JOB), "--render")
    assert (folder.returncode, folder.stderr) == (0, "")
    assert folder.stdout == job_file.stdout
    assert "EXECUTE STATEMENT SET BEGIN" in folder.stdout


def test_a_variable_no_file_declares_is_refused():
    done = runner(str(JOB), "--var", "transactions_pth=/tmp/x", "--render")
    assert done.returncode == 2
    assert done.stderr.startswith("error: --var transactions_pth: no file of this run declares "
                                  "it; declared: ")
    assert "transactions_path" in done.stderr and "min_published_risk" in done.stderr


def test_a_java_function_that_does_not_compile_is_one_line_naming_the_file(tmp_path):
    source = tmp_path / "java" / "sqlplatform" / "udfs"
    source.mkdir(parents=True)
    (source / "Broken.java").write_text("package sqlplatform.udfs;\nclass Broken { int x = ; }\n")
    with pytest.raises(flink_sql.BuildError) as raised:
        flink_sql.java_functions(tmp_path / "java", tmp_path / "udfs.jar")
    message = str(raised.value)
    assert message.startswith("compiling the Java functions failed: ")
    assert f"{source / 'Broken.java'}:2: error:" in message
    assert "\n" not in message and not (tmp_path / "udfs.jar").exists()


def test_a_dry_run_plans_a_select_without_running_it(tmp_path):
    lines = tmp_path / "lines"
    lines.mkdir()
    (lines / "part.txt").write_text("12\nnot a number\n")
    query = tmp_path / "query.sql"
    query.write_text(
        f"CREATE TEMPORARY TABLE numbers (line STRING) WITH ("
        f"'connector' = 'filesystem', 'path' = '{lines}', 'format' = 'raw');\n"
        "SELECT cast(line AS INT) AS n FROM numbers;\n")
    done = runner(str(query), "--dry-run", "--var", "flink_connectors=")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "== Optimized Physical Plan ==" in done.stdout
    assert "Row(" not in done.stdout and "planned 1 file(s)" in done.stdout


def test_an_empty_java_home_is_no_java_home(tmp_path):
    """Flink's scripts export JAVA_HOME="" when only the PATH has java, and a parent that hosted
    a Python worker pool copies such an environment into its own: the runner then started
    "bin/java" and failed (seen in CI, after the Kafka tests). It runs java from the PATH."""
    query = tmp_path / "query.sql"
    query.write_text("SELECT 1 AS n;\n")
    done = subprocess.run([sys.executable, str(REPO / "runners" / "flink_sql.py"), str(query),
                           "--dry-run", "--var", "flink_connectors="], cwd=REPO,
                          capture_output=True, text=True, timeout=240,
                          env={**os.environ, "JAVA_HOME": ""})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "planned 1 file(s)" in done.stdout


def test_a_job_does_not_send_its_python_work_to_a_parents_workers(tmp_path):
    """A process that ran a job with loopback Python workers (the tests, the demo) keeps that
    worker server's address in its environment, PYTHON_LOOPBACK_SERVER_ADDRESS; a runner it
    starts inherited it and sent its Python functions there (seen in CI: the platform job had
    no Python worker of its own, and a rolled-out job on the cluster scored nothing). Here the
    address leads nowhere, and the job runs its own workers."""
    lines = tmp_path / "lines"
    lines.mkdir()
    (lines / "part.txt").write_text("a\n")
    out = tmp_path / "out"
    query = tmp_path / "distance.sql"
    query.write_text(f"""CREATE TEMPORARY FUNCTION haversine_km AS 'udfs.haversine.haversine_km'
LANGUAGE PYTHON;
CREATE TEMPORARY TABLE words (line STRING)
WITH ('connector' = 'filesystem', 'path' = '{lines}', 'format' = 'raw');
CREATE TEMPORARY TABLE distances (km DOUBLE)
WITH ('connector' = 'filesystem', 'path' = '{out}', 'format' = 'json');
INSERT INTO distances SELECT haversine_km(0.0, 0.0, 0.0, 1.0) FROM words;
""")
    # The local profile with Python workers of their own, as the platform's.
    profile = tmp_path / "own_workers.toml"
    profile.write_text((REPO / "runners" / "profiles" / "local.toml").read_text()
                       .replace("[vars]\n", '[vars]\nflink_python_workers = "process"\n', 1))
    done = subprocess.run([sys.executable, str(REPO / "runners" / "flink_sql.py"), str(query),
                           "--var", "flink_connectors=", "--profile", str(profile)],
                          cwd=REPO, capture_output=True, text=True, timeout=240,
                          env={**os.environ, "PYTHON_LOOPBACK_SERVER_ADDRESS": "localhost:9"})
    assert done.returncode == 0, done.stderr[-2000:]
    written = [line for f in out.rglob("*") if f.is_file() and not f.name.startswith(".")
               for line in f.read_text().splitlines()]
    assert len(written) == 1 and abs(json.loads(written[0])["km"] - 111.195) < 0.001
