"""Where the Spark runner runs, and which variables a run accepts (issue 21, defects 1 and 2).

Where: a flag beats the environment, the environment beats the profile; SPARK_MASTER and
SPARK_REMOTE both set is an error that names both. Variables: a --var that no file of the run
declares (and the profile does not define) is refused, with the names that are declared.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from runners.engines import spark_sql
from runners.engines.sqlscript import load
from runners.profiles import Profile, ProfileError, check_variables

REPO = Path(__file__).resolve().parent.parent
LOCAL = Profile("local", {"lake_path": "/lake"}, {"spark.master": "local[*]"})
WITH_REMOTE = Profile("team", {"spark_remote": "sc://profile:15002"})


@pytest.mark.parametrize("flags, environ, profile, expected", [
    # a flag beats the environment
    ({"remote": "sc://flag:1"}, {"SPARK_MASTER": "spark://env:7077"}, LOCAL,
     (None, "sc://flag:1")),
    ({"master": "local[1]"}, {"SPARK_REMOTE": "sc://env:1"}, LOCAL, ("local[1]", None)),
    # the environment beats the profile
    ({}, {"SPARK_REMOTE": "sc://env:1"}, LOCAL, (None, "sc://env:1")),
    ({}, {"SPARK_MASTER": "spark://env:7077"}, WITH_REMOTE, ("spark://env:7077", None)),
    # the profile: its spark_remote, else its spark.master (master None: the profile's)
    ({}, {}, WITH_REMOTE, (None, "sc://profile:15002")),
    ({}, {}, LOCAL, (None, None)),
])
def test_a_flag_beats_the_environment_which_beats_the_profile(flags, environ, profile, expected):
    assert spark_sql.spark_target(profile, flags.get("master"), flags.get("remote"),
                                  environ) == expected


def test_both_variables_set_is_an_error_naming_both():
    with pytest.raises(ProfileError, match="both SPARK_MASTER and SPARK_REMOTE are set"):
        spark_sql.spark_target(LOCAL, None, None, {"SPARK_MASTER": "local[2]",
                                                   "SPARK_REMOTE": "sc://x:1"})


def test_the_runner_stops_before_starting_spark_when_both_are_set():
    done = subprocess.run(
        [sys.executable, str(REPO / "runners" / "spark_sql.py"),
         str(REPO / "sql" / "spark" / "segments.sql"), "--dry-run"],
        env={"PATH": "/usr/bin:/bin", "SPARK_MASTER": "local[1]", "SPARK_REMOTE": "sc://x:1"},
        capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "error: both SPARK_MASTER and SPARK_REMOTE are set: unset one, or say which with "
        "--master or --remote")


SPARK_FOLDER = [load(p) for p in sorted((REPO / "sql" / "spark").glob("*.sql"))]


def test_the_two_confidence_rules_have_names_of_their_own():
    params = {p: s.path.name for s in SPARK_FOLDER for p in s.params}
    owners = {}
    for script in SPARK_FOLDER:
        for name in script.params:
            owners.setdefault(name, []).append(script.path.name)
    assert {n: files for n, files in owners.items() if len(files) > 1} == {}
    assert params["min_confidence"] == "fpgrowth.sql"
    assert params["recommend_above_confidence"] == "product_recommendations.sql"


def test_a_variable_no_file_declares_is_refused_with_the_declared_names():
    with pytest.raises(ProfileError) as raised:
        check_variables({"min_confidense": "0.4"}, SPARK_FOLDER, {"lake_path": "/lake"})
    message = str(raised.value)
    assert message.startswith("--var min_confidense: no file of this run declares it; declared: ")
    declared = message.split("declared: ", 1)[1].split(", ")
    assert declared == sorted(declared)
    assert {"min_confidence", "recommend_above_confidence", "premium_above", "lake_path",
            "events_path"} <= set(declared)


def test_declared_and_profile_variables_are_accepted():
    check_variables({"premium_above": "900", "lake_path": "/x", "warehouse_url": "duckdb:x"},
                    SPARK_FOLDER, {"lake_path": "/lake", "warehouse_url": "duckdb:w"})


def test_the_spark_runner_refuses_an_undeclared_variable_before_starting_spark():
    done = subprocess.run(
        [sys.executable, str(REPO / "runners" / "spark_sql.py"),
         str(REPO / "sql" / "spark" / "segments.sql"), "--var", "premium_abov=900", "--list"],
        capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 2
    assert done.stderr.startswith("error: --var premium_abov: no file of this run declares it")
