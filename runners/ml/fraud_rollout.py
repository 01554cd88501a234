"""Rolling a fraud model out to the running job, keeping its state.

Chosen over a reload inside the provider: the job is stopped with a savepoint (its Kafka
transactions commit, every transaction before the savepoint was scored by the old model) and
submitted again from that savepoint with the new model's options (every transaction after it is
scored by the new one). The detectors' state and the Kafka offsets come back from the savepoint,
so no alert is lost or doubled; the provider checks the new file at the submission, before any
row, and the job's plan is the same but for the model's options. A reload inside the provider
would need a second channel to tell every TaskManager which file to load and when, and a
transaction in flight could be scored by either version.
"""

from __future__ import annotations

from collections.abc import Mapping

from runners.engines import flink_cluster
from runners.ml import fraud_model
from runners.profiles import load_profile


def savepoint_folder(params: Mapping) -> str:
    """Where the rollout's savepoint goes: beside the job's checkpoints, where
    fraud_detection_ops' restart finds the newest state (runners/engines/flink_sql.py's
    latest_checkpoint looks for savepoint-* there)."""
    flink = load_profile(params["profile"]).flink
    folder = (params.get("savepoint_dir") or flink.get("execution.checkpointing.savepoint-dir")
              or flink.get("execution.checkpointing.dir"))
    if not folder:
        raise ValueError("no savepoint_dir, and the profile has no execution.checkpointing.dir")
    return folder


def roll_out(new: Mapping[str, str], deployed: Mapping[str, str] | None,
             params: Mapping) -> str:
    """Make the job score with `new` (a registry row); 'deployed' when it does. Without a
    running job (or a cluster), the registry alone decides what the next start scores with."""
    fraud_model.check_file(new)  # before the job is touched
    jobmanager = params.get("jobmanager")
    job_id = flink_cluster.alive_job(jobmanager, params["job_name"]) if jobmanager else None
    if job_id is None:
        print(f"no running {params['job_name']} job: {new['version']} is deployed for its next "
              "start")
        return "deployed"
    savepoint = flink_cluster.stop_with_savepoint(jobmanager, job_id, savepoint_folder(params))
    print(f"stopped {job_id} with savepoint {savepoint}")
    job_vars = dict(params.get("job_vars") or {})
    try:
        new_id = flink_cluster.submit(jobmanager, params["profile"],
                                      {**job_vars, **fraud_model.job_variables(new)}, savepoint)
    except Exception as error:
        if deployed is None:
            raise
        flink_cluster.submit(jobmanager, params["profile"],
                             {**job_vars, **fraud_model.job_variables(deployed)}, savepoint)
        raise RuntimeError(f"rolling out {new['version']} failed, and the job runs "
                           f"{deployed['version']} again from {savepoint}: {error}") from error
    print(f"job {new_id} scores with {new['version']}, from {savepoint}")
    return "deployed"
