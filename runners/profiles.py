"""Profiles: named sets of variables and engine settings, read from runners/profiles/NAME.toml.

A value may name an environment variable as ${env:NAME} or ${env:NAME:-default}; secrets reach
the platform that way, never through a file in the repository. A relative `*_path` variable is a
folder of the checkout, whatever the working folder.

The profile is the one place that says where things are. The DAGs' tasks use the active one
(`active_profile()`: SQLPLATFORM_PROFILE, which runners/services/airflow_local.py sets, else local).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

PROFILE_DIR = Path(__file__).resolve().parent / "profiles"
from runners import CHECKOUT  # noqa: E402

ENV_REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class ProfileError(Exception):
    pass


class MissingEnv(str):
    """A variable whose environment variable is not set. Loading the profile does not fail,
    since a run may not need it; substituting it does, naming the environment variable."""

    def __new__(cls, text: str, env_name: str):
        value = super().__new__(cls, text)
        value.env_name = env_name
        return value


@dataclass(frozen=True)
class Profile:
    name: str
    vars: dict[str, str] = field(default_factory=dict)
    spark: dict[str, str] = field(default_factory=dict)
    flink: dict[str, str] = field(default_factory=dict)


def value_of(values: dict[str, str], name: str, default: str | None = None) -> str | None:
    """values[name] for Python code (not SQL), refusing one whose environment variable is unset."""
    value = values.get(name, default)
    env_name = getattr(value, "env_name", None)
    if env_name:
        raise ProfileError(f"{name} needs the environment variable {env_name}")
    return value


def absolute_paths(values: dict[str, str]) -> dict[str, str]:
    """Relative *_path values taken from the checkout (URIs and unset ones as they are)."""
    return {name: str(CHECKOUT / value) if name.endswith("_path") and value
            and not getattr(value, "env_name", None) and "://" not in value
            and not Path(value).is_absolute() else value for name, value in values.items()}


def active_profile() -> Profile:
    """The profile of this process: SQLPLATFORM_PROFILE (a name or a .toml path), else local."""
    return load_profile(os.environ.get("SQLPLATFORM_PROFILE", "local"))


def location(name: str) -> str:
    """A location of the active profile (lake_path, models_path, ...), for a DAG's tasks."""
    return value_of(active_profile().vars, name)


def load_profile(name: str) -> Profile:
    path = Path(name) if name.endswith(".toml") else PROFILE_DIR / f"{name}.toml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in PROFILE_DIR.glob("*.toml")))
        raise ProfileError(f"no profile {name!r} (known: {known})")
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    sections = {key: {k: _expand(str(v), path, k, lazy=key == "vars")
                      for k, v in raw.get(key, {}).items()}
                for key in ("vars", "spark", "flink")}
    return Profile(path.stem, absolute_paths(sections["vars"]), sections["spark"],
                   sections["flink"])


def _expand(value: str, path: Path, key: str, lazy: bool = False) -> str:
    missing: list[str] = []

    def env(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in os.environ:
            return os.environ[name]
        if default is not None:
            return default
        missing.append(name)
        return ""

    expanded = ENV_REF.sub(env, value)
    if not missing:
        return expanded
    if lazy:
        return MissingEnv(expanded, missing[0])
    raise ProfileError(f"{path.name}: {key} needs the environment variable {missing[0]}")


def check_variables(given: Mapping[str, str], scripts: Iterable, profile_vars: Mapping[str, str]
                    ) -> None:
    """Refuse a --var that no file of the run declares or reads and the profile does not
    define: a typo would otherwise be ignored, and the rule run with its default."""
    declared = set(profile_vars).union(*(script.variables() for script in scripts))
    unknown = sorted(set(given) - declared)
    if unknown:
        raise ProfileError(f"--var {', '.join(unknown)}: no file of this run declares it; "
                           f"declared: {', '.join(sorted(declared))}")


def parse_assignments(pairs: list[str]) -> dict[str, str]:
    """--var name=value pairs into a dict."""
    out: dict[str, str] = {}
    for pair in pairs:
        name, eq, value = pair.partition("=")
        if not eq or not name.strip():
            raise ProfileError(f"--var expects name=value, got {pair!r}")
        out[name.strip()] = value
    return out
