"""The Flink runner's own work, without a cluster: which files, which statements, the swap."""

from __future__ import annotations

from pathlib import Path

import pytest

from runners import flink_sql
from runners.sqlscript import ScriptError, parse

REPO = Path(__file__).resolve().parents[2]
JOB = REPO / "sql" / "flink" / "fraud_detection.sql"
FILES_CONNECTORS = REPO / "sql" / "flink" / "connectors" / "files.sql"


def test_the_job_pulls_its_upstream_files_in_order():
    names = [s.path.name for s in flink_sql.collect_scripts([JOB], FILES_CONNECTORS)]
    assert names[0] == "files.sql" and names[1] == "transactions.sql"
    assert names[-2:] == ["alert_aggregation.sql", "fraud_detection.sql"]
    assert set(names[2:-2]) == {"high_velocity.sql", "unusual_amount.sql",
                                "impossible_travel.sql", "suspicious_sequence.sql",
                                "suspicious_merchant.sql"}


def test_inserts_form_one_statement_set_and_set_statements_become_config(tmp_path):
    scripts = flink_sql.collect_scripts([JOB], FILES_CONNECTORS)
    extra = parse("SET 'pipeline.name' = 'fraud ''detection''';\nSELECT 1;", tmp_path / "x.sql",
                  dialect="flink")
    job = flink_sql.resolve([*scripts, extra], {"transactions_path": "/in", "alerts_path": "/out"})
    assert job.config == {"pipeline.name": "fraud 'detection'"}
    assert [s.first_word for _, s, _ in job.inserts] == ["INSERT"] * 5
    rendered = flink_sql.render(job, {"pipeline.jars": "file:///j/a.jar", "python.files": "/u.zip"})
    assert "ADD JAR '/j/a.jar';" in rendered
    assert "SET 'pipeline.name' = 'fraud ''detection''';" in rendered
    body = rendered.split("EXECUTE STATEMENT SET BEGIN", 1)[1]
    assert body.count("INSERT INTO") == 5 and body.rstrip().endswith("END;")
    assert "'path' = '/in'" in rendered and "'path' = '/out/fraud_alerts'" in rendered


def test_a_malformed_set_names_the_file_and_line(tmp_path):
    script = parse("\nSET pipeline.name = x;", tmp_path / "bad.sql", dialect="flink")
    with pytest.raises(ScriptError, match="bad.sql:2"):
        flink_sql.resolve([script], {})


def test_a_value_cannot_inject_sql():
    scripts = flink_sql.collect_scripts([JOB], FILES_CONNECTORS)
    job = flink_sql.resolve(scripts, {"transactions_path": "x', 'format' = 'csv",
                                      "alerts_path": "/out"})
    source = next(sql for _, _, sql in job.statements if "transaction_lines (" in sql)
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
