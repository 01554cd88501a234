"""The platform's thin runners, sorted by role: engines/ (the Spark and Flink SQL runners and
what they share), services/ (local Kafka, PostgreSQL, Spark Connect and Airflow), sample_data/
(the generators) and report/. runners/spark_sql.py and runners/flink_sql.py are the commands'
short names."""

import os
from pathlib import Path

# The checkout: every relative location of a profile, and the project's own files, hang off it.
CHECKOUT = Path(__file__).resolve().parent.parent


def staging_path(path: Path) -> Path:
    """Where this process writes `path` before renaming it into place: a reader never sees a
    half-written file, and two processes writing it at once (`make check` runs two suites side
    by side) never share one."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")
