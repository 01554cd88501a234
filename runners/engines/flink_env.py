"""Where PyFlink lives: its own virtual environment, `.venv-flink` (docs/environments.md).

PyFlink 2.2 pins grpcio<1.66 and pyarrow<17 through apache-beam; the Spark Connect client needs
grpcio>=1.76 and pyarrow>=18. So `make setup` builds two environments from two locks, and code
that runs Flink from the main one (the fraud DAG, the demo, `python runners/flink_sql.py`)
hands over to this one. SQLPLATFORM_FLINK_VENV points elsewhere, for an existing install.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from runners import CHECKOUT  # noqa: E402

VENV = Path(os.environ.get("SQLPLATFORM_FLINK_VENV", CHECKOUT / ".venv-flink"))


class FlinkEnvMissing(RuntimeError):
    pass


def here() -> bool:
    """True when this interpreter can import PyFlink."""
    # pyflink.table, not pyflink: a folder left behind (logs) is a namespace package.
    try:
        return importlib.util.find_spec("pyflink.table") is not None
    except ModuleNotFoundError:
        return False


def python() -> str:
    """The interpreter that runs Flink: this one if it has PyFlink, else the Flink venv's."""
    if here():
        return sys.executable
    interpreter = VENV / "bin" / "python"
    if not interpreter.exists():
        raise FlinkEnvMissing(f"no Flink environment at {VENV}: run `make setup`")
    return str(interpreter)


def flink_home() -> Path:
    """The wheel's Flink distribution (bin/, lib/, conf/), as FLINK_HOME."""
    if here():
        return Path(importlib.util.find_spec("pyflink.table").origin).parent.parent
    found = sorted(VENV.glob("lib/python3*/site-packages/pyflink"))
    if not found:
        raise FlinkEnvMissing(f"no PyFlink under {VENV}: run `make setup`")
    return found[-1]


def hand_over(script: str, argv: list[str]) -> None:
    """Run `script` with argv in the Flink environment instead of this process, unless this
    interpreter already has PyFlink."""
    if here():
        return
    interpreter = python()
    os.execv(interpreter, [interpreter, script, *argv])
