"""fraud_detection_ops: every hour, check the fraud job on its Flink cluster; restart it if it died.

check_flink_job_health asks the cluster's REST API for the jobs named `job_name`. A job that is
running (or starting, or restarting by itself) is healthy. A failed job's cause (the two
innermost "Caused by" of its last exception) goes into the task's log and the status row.
When the newest job has failed, was cancelled, finished, or there is none, restart_fraud_job
submits sql/flink/fraud_detection.sql again with `runners/flink_sql.py --jobmanager ... --detach
--restore PATH`, PATH being the newest completed checkpoint (or savepoint) retained under
checkpoint_dir (savepoint_dir), so the job resumes with its state and its Kafka offsets; it then
waits until the new job runs. When nothing is retained, it fails and says so: a fresh start
would lose the detectors' state.
record_job_status writes what was found and done to flink_job_status in the warehouse (SQL),
whatever happened: a teardown, it runs after a failed check or a failed restart too
(action_taken 'restart_failed', and the error), and the run still ends failed then.

The restart runs with this worker's environment (KAFKA_BOOTSTRAP, FRAUD_JDBC_URL, ... as the
platform profile reads them), the fraud model the registry says is deployed (model_registry,
through registry_conn_id), and the job_vars parameter, which must match the job's first
submission (topics, consumer group).
"""

from __future__ import annotations

import datetime as dt
import os

from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.sdk import Param, dag, task

from runners import CHECKOUT
from runners.engines.flink_cluster import ALIVE, rest
from runners.engines.warehouse import sql_string


def failure_cause(jobmanager: str, job_id: str) -> str | None:
    """The two innermost causes of the job's latest exception, on one line (None if it has
    none): the innermost alone is often too general (`ConnectException: Connection refused`)."""
    entries = rest(jobmanager, f"/jobs/{job_id}/exceptions").get("exceptionHistory", {}) \
        .get("entries", [])
    if not entries:
        return None
    trace = entries[0].get("stacktrace") or entries[0].get("exceptionName") or ""
    causes = [line.removeprefix("Caused by: ") for line in trace.splitlines()
              if line.startswith("Caused by: ")]
    found = "; caused by ".join(causes[-2:]) if causes else trace.partition("\n")[0]
    return found[:1000] or None


def restart(params) -> dict[str, str]:
    """Resubmit the job from its newest retained checkpoint, scoring with the registry's
    deployed fraud model, and wait until it runs."""
    from runners.engines import flink_cluster
    from runners.engines.flink_sql import latest_checkpoint
    from runners.ml import fraud_model
    from runners.profiles import load_profile

    flink = load_profile(params["profile"]).flink
    folders = [params["checkpoint_dir"] or flink.get("execution.checkpointing.dir", ""),
               params["savepoint_dir"] or flink.get("execution.checkpointing.savepoint-dir",
                                                    "")]
    retained = latest_checkpoint(*folders)
    if retained is None:
        raise FileNotFoundError(
            f"no retained checkpoint or savepoint under {' '.join(filter(None, folders))}: "
            f"not restarting {params['job_name']} without its state; start it by hand "
            "once you know what to do")
    deployed = fraud_model.deployed_model(registry_hook(params["registry_conn_id"]))
    model = fraud_model.job_variables(deployed) if deployed else {}
    job_id = flink_cluster.submit(params["jobmanager"], params["profile"],
                                  {**model, **params["job_vars"]}, retained)
    return {"action": "restarted", "new_job_id": job_id, "restored_from": str(retained)}


def registry_hook(conn_id: str):
    from airflow.sdk import BaseHook

    return BaseHook.get_connection(conn_id).get_hook()


def one_line(error: BaseException) -> str:
    """An error as one line for the status table: its type and its first 1,000 characters."""
    return f"{type(error).__name__}: {' '.join(str(error).split())}"[:1000]


@dag(
    dag_id="fraud_detection_ops",
    description="Check the fraud job's health every hour; restart it from its last checkpoint",
    schedule="@hourly",
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    tags=["flink", "fraud", "ops"],
    default_args={"owner": "platform", "retries": int(os.environ.get(
        "SQLPLATFORM_TASK_RETRIES", "1")), "retry_delay": dt.timedelta(minutes=2)},
    params={
        "jobmanager": Param(os.environ.get("FLINK_JOBMANAGER", "127.0.0.1:8081"), type="string",
                            description="host:port of the cluster's REST API"),
        "job_name": Param("fraud_detection", type="string"),
        "checkpoint_dir": Param("", type="string", description="where the job's checkpoints "
                                "are retained; empty: the profile's execution.checkpointing.dir"),
        "savepoint_dir": Param("", type="string", description="empty: the profile's "
                               "execution.checkpointing.savepoint-dir, if any"),
        "profile": Param("platform", type="string"),
        "job_vars": Param({}, type="object", description="--var NAME=VALUE of the job (over "
                          "the registry's deployed model)"),
        "registry_conn_id": Param("ml_metadata", type="string",
                                  description="the warehouse holding model_registry: the "
                                              "restart scores with its deployed fraud model"),
    },
    template_searchpath=[str(CHECKOUT / "sql")],
    user_defined_macros={"sql_string": sql_string},
    doc_md=__doc__,
)
def fraud_detection_ops():
    @task.branch
    def check_flink_job_health(params=None, ti=None) -> str:
        try:
            jobs = rest(params["jobmanager"], "/jobs/overview")["jobs"]
        except ConnectionError as error:
            ti.xcom_push(key="state", value="UNREACHABLE")
            ti.xcom_push(key="error", value=one_line(error))
            raise
        named = sorted((j for j in jobs if j["name"] == params["job_name"]),
                       key=lambda j: j["start-time"])
        alive = [j for j in named if j["state"] in ALIVE]
        job = alive[-1] if alive else (named[-1] if named else None)
        ti.xcom_push(key="job_id", value=job["jid"] if job else None)
        ti.xcom_push(key="state", value=job["state"] if job else "MISSING")
        cause = failure_cause(params["jobmanager"], job["jid"]) \
            if job and job["state"] == "FAILED" else None
        ti.xcom_push(key="cause", value=cause)
        print(f"{params['job_name']}: {job['state'] if job else 'no such job'}"
              + (f", caused by {cause}" if cause else ""))
        return "job_is_healthy" if alive else "restart_fraud_job"

    @task
    def job_is_healthy() -> None:
        """Nothing to do: the branch not taken when the job runs."""

    @task(multiple_outputs=True)
    def restart_fraud_job(params=None, ti=None) -> dict[str, str]:
        try:
            return restart(params)
        except Exception as error:  # on record (record_job_status), then the task fails
            ti.xcom_push(key="action", value="restart_failed")
            ti.xcom_push(key="error", value=one_line(error))
            raise

    # A teardown: it runs whatever its upstream did (a teardown without setups waits for all of
    # them to be done), and it does not decide the run's state, so a failed restart is recorded
    # and the run still fails.
    record_job_status = SQLExecuteQueryOperator(
        task_id="record_job_status",
        conn_id="warehouse",
        sql=["warehouse/flink_job_status.sql", "airflow/record_flink_job_status.sql"],
    ).as_teardown()

    check_flink_job_health() >> [job_is_healthy(), restart_fraud_job()] >> record_job_status


fraud_detection_ops()
