"""The mutation check's variants (tests/flink/schemata.py): a variant writes its own rows to
every sink its change can reach, and only to those (the others hold the original's rows)."""

from __future__ import annotations

from pathlib import Path

from runners.profiles import load_profile
from tests.flink import schemata
from tests.flink.harness import JOB_FILE

FLINK_SQL = JOB_FILE.parent


def written(tmp_path: Path, file: str, old: str, new: str) -> set[str]:
    path = (FLINK_SQL / file).resolve()
    text = path.read_text()
    assert old in text
    _, sinks = schemata.build(JOB_FILE, load_profile("local"),
                              {"transactions_path": str(tmp_path / "in"),
                               "alerts_path": str(tmp_path / "v0"),
                               "fraud_features_path": str(tmp_path / "v0" / "features")},
                              [{path: text.replace(old, new)}], lambda n: tmp_path / f"v{n}",
                              {})
    return sinks[0]


def test_a_rules_variant_writes_the_alert_sinks_only(tmp_path):
    assert written(tmp_path, "unusual_amount.sql", "min_history = 10", "min_history = 11") \
        == {"fraud_alerts", "alert_history", "detector_alerts"}


def test_a_change_to_an_insert_of_the_job_file_writes_that_insert(tmp_path):
    """The job file's own INSERTs read no view of the variant's, yet its threshold changed."""
    assert "fraud_alerts" in written(tmp_path, "fraud_detection.sql", "min_published_risk = 0.7",
                                     "min_published_risk = 0.8")
