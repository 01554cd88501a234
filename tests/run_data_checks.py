"""Run DAG data checks on prepared inputs, in a process of its own, and print what failed.

    python -m tests.run_data_checks jobs.json   (from the checkout's root)

Each job names a DAG's check set and a table: {"id", "dag": "churn" | "batch", "name" (the
source or table), "table" (the SQL relation), "conn" (an Airflow connection as JSON)}. The
checks are built exactly as the DAG builds them and run by the real common-sql operators. It
prints {id: [failed check, ...]} as JSON. Its own process because under pytest `airflow`
names the tests/airflow package.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path


def failed_checks(operator) -> list[str]:
    """The checks the operator reports failing: 'column.check' or a table check's name."""
    from airflow.exceptions import AirflowException

    try:
        operator.execute(context={})
    except AirflowException as error:
        message = str(error)
        columns = re.findall(r"Column: (\w+)\n\tCheck: (\w+)", message)
        failed = [f"{column}.{check}" for column, check in columns] if columns else \
            re.findall(r"^\tCheck: (\w+),", message, re.MULTILINE)
        if not failed:
            raise
        return failed
    return []


def run(job: dict) -> list[str]:
    from airflow.providers.common.sql.operators.sql import (
        SQLColumnCheckOperator,
        SQLTableCheckOperator,
    )

    from dags import ecommerce_user_behavior as batch
    from dags import ml_pipeline_customer_churn as churn

    os.environ["AIRFLOW_CONN_CHECKED"] = json.dumps(job["conn"])
    name = job["name"]
    if job["dag"] == "churn":
        table_checks, column_checks = churn.raw_checks(name)
    else:  # the @check lines of the file that creates the table, as the DAG reads them
        table_checks, column_checks = batch.published_checks(batch.batch_graph())[name]
    failed = failed_checks(SQLTableCheckOperator(task_id="table", conn_id="checked",
                                                 table=job["table"], checks=table_checks))
    if not column_checks:
        return failed
    return failed + failed_checks(SQLColumnCheckOperator(
        task_id="columns", conn_id="checked", table=job["table"], column_mapping=column_checks))


def main() -> int:
    jobs = json.loads(Path(sys.argv[1]).read_text())
    results = {job["id"]: sorted(run(job)) for job in jobs}
    print("RESULTS " + json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
