"""runners/services/airflow_local.py --profile: the tasks' runners get the profile, once it is
complete."""

import pytest

from runners.services.airflow_local import profile_environment

PLATFORM_NEEDS = ["EVENTS_PATH", "FRAUD_JDBC_URL", "KAFKA_BOOTSTRAP", "LAKE_PATH", "MODELS_PATH",
                  "NOTIFICATIONS_PATH", "REPORTS_PATH", "WAREHOUSE_URL"]


def test_local_profile_needs_nothing():
    assert profile_environment("local") == {"SQLPLATFORM_PROFILE": "local"}


def test_platform_profile_names_every_missing_variable(monkeypatch):
    for name in PLATFORM_NEEDS:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SystemExit) as refused:
        profile_environment("platform")
    assert str(refused.value) == (
        "the platform profile (runners/profiles/platform.toml) reads "
        f"{', '.join(PLATFORM_NEEDS)}: set them in the environment first")


def test_platform_profile_once_set(monkeypatch):
    for name in PLATFORM_NEEDS:
        monkeypatch.setenv(name, "x")
    assert profile_environment("platform") == {"SQLPLATFORM_PROFILE": "platform"}
