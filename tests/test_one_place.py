"""Each setting in one place (issue 21, defect 8): the dependencies in pyproject.toml, which
the locks are compiled from; the warehouse in the profile, which Airflow's connections follow;
Flink's parallelism in the profiles only."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

from runners.engines.flink_sql import FLINK_DEFAULTS
from runners.services.airflow_local import airflow_env

REPO = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())


def pins(lock: Path) -> dict[str, str]:
    return {m.group(1).lower().replace("_", "-"): m.group(2)
            for m in re.finditer(r"^([A-Za-z0-9_.\-]+)==(\S+)", lock.read_text(), re.MULTILINE)}


def test_each_lock_holds_every_dependency_pyproject_lists_and_names_it_as_source():
    for lock, wanted in (
            ("requirements.lock", PYPROJECT["project"]["dependencies"]
             + PYPROJECT["dependency-groups"]["dev"]),
            ("requirements-flink.lock", PYPROJECT["dependency-groups"]["flink"])):
        pinned = pins(REPO / lock)
        for text in wanted:
            requirement = Requirement(text)
            name = requirement.name.lower().replace("_", "-")
            assert name in pinned, (lock, text)
            assert requirement.specifier.contains(pinned[name], prereleases=True), (lock, text)
        assert "pyproject.toml" in (REPO / lock).read_text().splitlines()[1], lock


def test_the_main_lock_has_no_flink_and_the_flink_lock_no_spark():
    assert "apache-flink" not in pins(REPO / "requirements.lock")
    assert "pyspark" not in pins(REPO / "requirements-flink.lock")


def test_airflow_connections_follow_the_profiles_warehouse(tmp_path):
    profile = tmp_path / "team.toml"
    profile.write_text('[vars]\nwarehouse_url = "duckdb:/srv/warehouse.duckdb"\n')
    env = airflow_env(str(profile), base={})
    for conn_id in ("AIRFLOW_CONN_WAREHOUSE", "AIRFLOW_CONN_ML_METADATA"):
        assert json.loads(env[conn_id]) == {"conn_type": "duckdb",
                                            "host": "/srv/warehouse.duckdb"}


def test_flinks_parallelism_is_the_profiles_alone():
    assert "parallelism.default" not in FLINK_DEFAULTS
