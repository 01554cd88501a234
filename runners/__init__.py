"""The platform's thin runners, sorted by role: engines/ (the Spark and Flink SQL runners and
what they share), services/ (local Kafka, PostgreSQL, Spark Connect and Airflow), sample_data/
(the generators) and report/. runners/spark_sql.py and runners/flink_sql.py are the commands'
short names."""

from pathlib import Path

# The checkout: every relative location of a profile, and the project's own files, hang off it.
CHECKOUT = Path(__file__).resolve().parent.parent
