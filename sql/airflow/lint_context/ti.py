"""Stand-in for Airflow's task instance when sqlfluff renders sql/airflow (lint only)."""


def xcom_pull(task_ids=None, key="return_value"):
    return f"{task_ids}.{key}"
