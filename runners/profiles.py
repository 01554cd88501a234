"""Profiles: named sets of variables and engine settings, read from runners/profiles/NAME.toml.

A value may name an environment variable as ${env:NAME} or ${env:NAME:-default}; secrets reach
the platform that way, never through a file in the repository.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

PROFILE_DIR = Path(__file__).resolve().parent / "profiles"
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


def load_profile(name: str) -> Profile:
    path = Path(name) if name.endswith(".toml") else PROFILE_DIR / f"{name}.toml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in PROFILE_DIR.glob("*.toml")))
        raise ProfileError(f"no profile {name!r} (known: {known})")
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    sections = {key: {k: _expand(str(v), path, k, lazy=key == "vars")
                      for k, v in raw.get(key, {}).items()}
                for key in ("vars", "spark", "flink")}
    return Profile(path.stem, sections["vars"], sections["spark"], sections["flink"])


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


def parse_assignments(pairs: list[str]) -> dict[str, str]:
    """--var name=value pairs into a dict."""
    out: dict[str, str] = {}
    for pair in pairs:
        name, eq, value = pair.partition("=")
        if not eq or not name.strip():
            raise ProfileError(f"--var expects name=value, got {pair!r}")
        out[name.strip()] = value
    return out
