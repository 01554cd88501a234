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


@dataclass(frozen=True)
class Profile:
    name: str
    vars: dict[str, str] = field(default_factory=dict)
    spark: dict[str, str] = field(default_factory=dict)
    flink: dict[str, str] = field(default_factory=dict)


def load_profile(name: str) -> Profile:
    path = Path(name) if name.endswith(".toml") else PROFILE_DIR / f"{name}.toml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in PROFILE_DIR.glob("*.toml")))
        raise ProfileError(f"no profile {name!r} (known: {known})")
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    sections = {key: {k: _expand(str(v), path, k) for k, v in raw.get(key, {}).items()}
                for key in ("vars", "spark", "flink")}
    return Profile(path.stem, sections["vars"], sections["spark"], sections["flink"])


def _expand(value: str, path: Path, key: str) -> str:
    def env(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in os.environ:
            return os.environ[name]
        if default is not None:
            return default
        raise ProfileError(f"{path.name}: {key} needs the environment variable {name}")

    return ENV_REF.sub(env, value)


def parse_assignments(pairs: list[str]) -> dict[str, str]:
    """--var name=value pairs into a dict."""
    out: dict[str, str] = {}
    for pair in pairs:
        name, eq, value = pair.partition("=")
        if not eq or not name.strip():
            raise ProfileError(f"--var expects name=value, got {pair!r}")
        out[name.strip()] = value
    return out
