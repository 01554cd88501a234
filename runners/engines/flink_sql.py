"""Run Flink SQL files: `python runners/flink_sql.py sql/flink/fraud_detection.sql [...]`.

The file runs after the files it depends on (the ones that create the tables and views it reads)
and after the profile's connectors file, `sql/flink/connectors/<flink_connectors>.sql`, which
declares where data comes from and goes to. `${name}` variables work as in the Spark runner:
the file's `-- @param` default, then the profile, then `--var name=value`.

- SET 'key' = 'value' statements configure the job (PyFlink's execute_sql refuses them).
- The INSERTs form one statement set, so the sources are read once, by one job. A job file
  writes them in EXECUTE STATEMENT SET BEGIN ... END;, as the Flink SQL client runs them.
- CREATE FUNCTION ... LANGUAGE PYTHON finds the modules in udfs/, shipped to the Python workers.
- The connector jars (build/jars/flink) are on the job's classpath.
- It runs on an in-process MiniCluster, or with --jobmanager HOST:PORT on a session cluster.
- --restore PATH starts the job from a savepoint or retained checkpoint; --restore latest picks
  the newest completed checkpoint under the profile's execution.checkpointing.dir.
- --render prints the same job as one script for the Flink SQL client instead of running it.
- Output folders named by the profile's `flink_replace_outputs` variables (local: alerts_path)
  are written to a staging folder and swapped in when the job succeeds: a re-run replaces the
  previous results instead of adding to them, and a failed run leaves them as they were.

This module holds no business rule: the rules are the .sql files.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `runners` and `udfs` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from runners.engines import flink_env

if __name__ == "__main__":  # started from the main environment: go on in the Flink one
    flink_env.hand_over(__file__, sys.argv[1:])

from runners import CHECKOUT, staging_path  # noqa: E402
from runners.engines import sqlscript
from runners.engines.sqlscript import Script, ScriptError, Statement
from runners.profiles import (
    Profile,
    ProfileError,
    check_variables,
    load_profile,
    parse_assignments,
    value_of,
)

JAR_DIR = CHECKOUT / "build" / "jars" / "flink"
UDF_ARCHIVE = CHECKOUT / "build" / "flink" / "udfs.zip"
JAVA_UDF_SOURCES = CHECKOUT / "udfs" / "java"
JAVA_UDF_JAR = CHECKOUT / "build" / "flink" / "sqlplatform-udfs.jar"
CONNECTOR_DIR = CHECKOUT / "sql" / "flink" / "connectors"
SET_STATEMENT = re.compile(r"^\s*SET\s+'([^']+)'\s*=\s*'((?:[^']|'')*)'\s*$",
                           re.IGNORECASE | re.DOTALL)
# The opening of a statement set, and the blanks and comments before its first INSERT.
STATEMENT_SET = re.compile(r"EXECUTE\s+STATEMENT\s+SET\s+BEGIN\b(?:\s+|--[^\n]*|/\*.*?\*/)*",
                           re.IGNORECASE | re.DOTALL)
# The table an INSERT writes.
INSERT_TARGET = re.compile(r"^\s*INSERT\s+INTO\s+`?([A-Za-z_][A-Za-z0-9_]*)`?", re.IGNORECASE)
# PyFlink's own variables in a process that ran loopback Python workers (see main()).
LOOPBACK_VARIABLES = ("PYFLINK_GATEWAY_DISABLED", "PYTHON_LOOPBACK_SERVER_ADDRESS",
                      "_PYTHON_WORKER_MEMORY_LIMIT", "BOOT_LOG_DIR")
# What every job needs whatever the profile; the profile sets the rest (parallelism.default).
FLINK_DEFAULTS = {
    "table.local-time-zone": "UTC",
    "rest.bind-address": "127.0.0.1",
    "rest.address": "127.0.0.1",
    "taskmanager.memory.process.size": "1600m",
    # Without it, Flink copies every record once for each operator chained after it; the
    # planner's operators do not keep records they were handed (the async ML_PREDICT copies its
    # input itself). 11% of the fraud job's time, measured (docs/performance.md).
    "pipeline.object-reuse": "true",
}


@dataclass
class FlinkJob:
    """One run, resolved: the Flink settings (the runner's defaults, then the profile's, then
    the caller's), the files' own SET statements (config, which win), the other statements in
    order, and the INSERTs, which form one statement set."""
    config: dict[str, str] = field(default_factory=dict)
    statements: list[tuple[Script, Statement, str]] = field(default_factory=list)
    inserts: list[tuple[Script, Statement, str]] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)
    # Python UDF workers: "loopback" (inside this process, on a local MiniCluster) or "process"
    # (processes of their own, started by the TaskManager; always so on a cluster).
    python_workers: str = "loopback"


def build(paths: Sequence[Path], profile: Profile, variables: Mapping[str, str] | None = None,
          *, connectors: Sequence[Path] | None = None, library: Sequence[Path] = (),
          jobmanager: str | None = None, settings: Mapping[str, str] | None = None) -> FlinkJob:
    """The job of these files: with every file they depend on, the profile's connectors file
    (or `connectors`), the variables (the profile's, then these) substituted, and its settings.

    The runner, the tests and the benchmarks all build their jobs here.
    """
    values = {**profile.vars, **(variables or {})}
    if connectors is None:
        name = value_of(values, "flink_connectors")
        connectors = [CONNECTOR_DIR / f"{name}.sql"] if name else []
    job = resolve(collect_scripts([p.resolve() for p in paths], connectors, library), values)
    job.settings = base_config(profile.flink, jobmanager)
    job.settings.update(settings or {})
    job.python_workers = value_of(values, "flink_python_workers") or "loopback"
    if job.python_workers not in ("loopback", "process"):
        raise ProfileError(f"flink_python_workers is {job.python_workers!r}: "
                           "write loopback or process")
    if jobmanager:
        job.python_workers = "process"
    return job


def collect_scripts(paths: Sequence[Path], connectors: Path | Sequence[Path] | None,
                    library: Sequence[Path] = ()) -> list[Script]:
    """The given files, the connectors file(s) and every file they depend on, in order.

    A file's upstream is looked for among its own folder's files, those of the folders above it
    up to the one holding connectors/ (a job in sql/flink/backfill/ reads sql/flink/'s views),
    the connectors and `library` (a benchmark query kept elsewhere can read sql/flink/'s).
    """
    extra = [connectors] if isinstance(connectors, Path) else list(connectors or ())
    chosen: dict[Path, Script] = {}
    for path in expand_folders(paths):
        if not path.is_file():
            raise ScriptError(path, 0, "no such file or folder")
        candidates = {f.resolve() for folder in reading_folders(path)
                      for f in folder.glob("*.sql")}
        candidates |= {f.resolve() for f in [*extra, *library]}
        pool = [sqlscript.load(f, dialect="flink") for f in sorted(candidates)]
        target = next(s for s in pool if s.path == path.resolve())
        for script in sqlscript.upstream_of(target, pool):
            chosen[script.path] = script
    return sqlscript.dependency_order(list(chosen.values()))


def reading_folders(path: Path) -> list[Path]:
    """The file's folder, and the folders above it up to the engine's (the one with connectors/);
    only its own folder when none above has one."""
    folders = [path.resolve().parent]
    while not (folders[-1] / "connectors").is_dir() and folders[-1].parent != folders[-1]:
        folders.append(folders[-1].parent)
    return folders if (folders[-1] / "connectors").is_dir() else folders[:1]


def expand_folders(paths: Sequence[Path]) -> list[Path]:
    """Each folder as its .sql files (not its subfolders: connectors/ is the profile's choice)."""
    files = []
    for path in paths:
        if path.is_dir():
            found = sorted(path.glob("*.sql"))
            if not found:
                raise ScriptError(path, 0, "no .sql files in this folder")
            files += [f.resolve() for f in found]
        else:
            files.append(path)
    return files


def resolve(scripts: list[Script], variables: dict[str, str]) -> FlinkJob:
    """Substitute variables and sort statements into SETs, other statements and INSERTs.

    The INSERTs of an EXECUTE STATEMENT SET BEGIN ... END; block, as the SQL client runs it, and
    any INSERT outside one, form the job's one statement set.
    """
    job = FlinkJob()
    for script in scripts:
        values = {**script.params, **variables}
        block: Statement | None = None  # the EXECUTE STATEMENT SET that is open, if any
        for statement in script.statements:
            sql = sqlscript.substitute(statement.text, values, path=script.path,
                                       line=statement.line, dialect="flink")
            opening = STATEMENT_SET.match(sql)
            if opening:
                if block:
                    raise ScriptError(script.path, statement.line,
                                      f"statement set of line {block.line} has no END")
                block, sql = statement, sql[opening.end():]
                statement = Statement(sql, statement.line + opening.group(0).count("\n"),
                                      statement.number)
            elif block and sqlscript.strip_comments(sql).strip().upper() == "END":
                block = None
                continue
            if block and statement.first_word != "INSERT":
                raise ScriptError(script.path, statement.line,
                                  "a statement set holds INSERT statements only")
            if statement.first_word == "SET":
                match = SET_STATEMENT.match(sqlscript.strip_comments(sql))
                if not match:
                    raise ScriptError(script.path, statement.line,
                                      "write SET as SET 'key' = 'value'")
                job.config[match.group(1)] = match.group(2).replace("''", "'")
            elif statement.first_word == "INSERT":
                job.inserts.append((script, statement, sql))
            else:
                job.statements.append((script, statement, sql))
        if block:
            raise ScriptError(script.path, block.line, "EXECUTE STATEMENT SET without END")
    return job


def _stale(target: Path, sources: Sequence[Path]) -> bool:
    newest = max((p.stat().st_mtime for p in sources), default=0)
    return not target.exists() or target.stat().st_mtime < newest


def python_files() -> Path:
    """udfs/ as a zip for the Python workers' path, rebuilt when a module changed."""
    sources = sorted((CHECKOUT / "udfs").glob("*.py"))
    if _stale(UDF_ARCHIVE, sources):
        UDF_ARCHIVE.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(staging_path(UDF_ARCHIVE), "w") as archive:
            for source in sources:
                archive.write(source, f"udfs/{source.name}")
        staging_path(UDF_ARCHIVE).replace(UDF_ARCHIVE)
    return UDF_ARCHIVE


class BuildError(Exception):
    """The job's own code (udfs/java) could not be built."""


def java_functions(source_dir: Path = JAVA_UDF_SOURCES,
                   jar: Path = JAVA_UDF_JAR) -> Path:
    """udfs/java compiled into a jar against the wheel's Flink and the connector jars (the
    restartable-jdbc connector wraps the JDBC one), with its META-INF service files; rebuilt
    when a source changed."""
    sources = sorted(source_dir.rglob("*.java"))
    services = sorted((source_dir / "META-INF").rglob("*"))
    if not _stale(jar, [*sources, *services]):
        return jar
    flink_lib = flink_env.flink_home() / "lib"
    jar.parent.mkdir(parents=True, exist_ok=True)
    # Classes in this process's own folder: two builds at once never mix theirs.
    with tempfile.TemporaryDirectory(prefix=".java-classes-", dir=jar.parent) as folder:
        classes = Path(folder)
        try:
            compiled = subprocess.run(["javac", "-nowarn", "-cp", f"{flink_lib}/*:{JAR_DIR}/*",
                                       "-d", str(classes), *map(str, sources)],
                                      capture_output=True, text=True)
        except FileNotFoundError as error:
            raise BuildError("javac not found: the Java functions need a JDK 17 on the PATH"
                             ) from error
        if compiled.returncode != 0:
            # javac prints FILE:LINE: error: ... first; that line says what to fix.
            errors = [ln for ln in compiled.stderr.splitlines() if ": error:" in ln]
            raise BuildError("compiling the Java functions failed: "
                             + (errors[0] if errors else compiled.stderr.strip()[:500]))
        with zipfile.ZipFile(staging_path(jar), "w") as archive:
            for item in sorted(classes.rglob("*.class")):
                archive.write(item, item.relative_to(classes).as_posix())
            for item in services:
                if item.is_file():
                    archive.write(item, item.relative_to(source_dir).as_posix())
    staging_path(jar).replace(jar)
    return jar


def base_config(profile_flink: dict[str, str], jobmanager: str | None) -> dict[str, str]:
    config = dict(FLINK_DEFAULTS)
    config.update(profile_flink)
    for key in ("execution.checkpointing.dir", "execution.checkpointing.savepoint-dir"):
        if key in config and "://" not in config[key]:  # a folder of the checkout
            config[key] = (CHECKOUT / config[key]).resolve().as_uri()
    jars = sorted(str(j) for j in JAR_DIR.glob("*.jar") if "sql-gateway" not in j.name)
    jars.append(str(java_functions()))
    config["pipeline.jars"] = ";".join(f"file://{j}" for j in jars)
    config["python.executable"] = sys.executable
    config["python.client.executable"] = sys.executable
    config["python.files"] = str(python_files())
    if jobmanager:
        host, _, port = jobmanager.rpartition(":")
        config.update({"execution.target": "remote", "rest.address": host or "127.0.0.1",
                       "rest.port": port})
    return config


def latest_checkpoint(*folders: str) -> Path | None:
    """The newest completed checkpoint of any job (<job>/chk-N/_metadata), or savepoint
    (savepoint-*/_metadata), under the given folders (file:// URIs or paths; empty ones skipped)."""
    found = []
    for folder in filter(None, folders):
        root = Path(folder.removeprefix("file://"))
        found += [m.parent for pattern in ("*/chk-*/_metadata", "savepoint-*/_metadata")
                  for m in root.glob(pattern)]
    return max(found, key=lambda p: p.stat().st_mtime, default=None)


def restore_config(restore: str, config: dict[str, str]) -> dict[str, str]:
    """The settings that start the job from `restore`: a path, or `latest`."""
    if restore != "latest":
        return {"execution.state-recovery.path": restore}
    checkpoint_dir = config.get("execution.checkpointing.dir")
    if not checkpoint_dir:
        raise ProfileError("--restore latest needs execution.checkpointing.dir in the profile")
    found = latest_checkpoint(checkpoint_dir)
    if found is None:
        raise ProfileError(f"--restore latest: no completed checkpoint under {checkpoint_dir}")
    return {"execution.state-recovery.path": f"file://{found}"}


def render(job: FlinkJob) -> str:
    """The job as one script for `sql-client.sh -f`."""
    lines = ["-- Rendered by runners/flink_sql.py; edit the source files instead.", ""]
    config = dict(job.settings)
    jars = config.pop("pipeline.jars", "")
    for jar in filter(None, jars.split(";")):
        lines.append(f"ADD JAR '{jar.removeprefix('file://')}';")
    for key, value in {**config, **job.config}.items():
        if key in ("execution.target", "rest.address", "rest.port"):
            continue  # the client's own settings decide where it submits
        lines.append(f"SET '{key}' = '{value.replace(chr(39), chr(39) * 2)}';")
    lines.append("")
    for script, _, sql in job.statements:
        source = script.path
        if source.is_relative_to(CHECKOUT):
            source = source.relative_to(CHECKOUT)
        lines += [f"-- from {source}", sql.strip() + ";", ""]
    if job.inserts:
        lines.append("EXECUTE STATEMENT SET BEGIN")
        lines += [sql.strip() + ";" for _, _, sql in job.inserts]
        lines.append("END;")
    return "\n".join(lines) + "\n"


def run(job: FlinkJob, *, dry_run: bool = False, detach: bool = False,
        show_rows: int = 20) -> str | None:
    """Execute the job; return the Flink job id of the INSERTs, if any."""
    # Importing the loopback workers' runtime in a thread while the JVM starts saved 1 to 2 s;
    # taken out after a fresh-clone run saw ClassNotFoundException for sqlplatform.udfs
    # (docs/performance.md). PyFlink puts pipeline.jars on one Java thread's class loader.
    from pyflink.table import EnvironmentSettings, TableEnvironment

    settings = EnvironmentSettings.new_instance().in_streaming_mode().build()
    # PyFlink runs the Python workers in this process (loopback) on a local MiniCluster unless
    # this variable, which it reads when the environment is created, says otherwise; a
    # cluster's TaskManagers start their own. Set for this job only: a later job in the same
    # process (tests) gets its own.
    mode = "_python_worker_execution_mode"  # PyFlink's name
    previous = os.environ.get(mode)
    if job.python_workers == "process":
        os.environ[mode] = "process"
    try:
        t_env = TableEnvironment.create(settings)
    finally:
        if previous is None:
            os.environ.pop(mode, None)
        else:
            os.environ[mode] = previous
    table_config = t_env.get_config()
    for key, value in {**job.settings, **job.config}.items():
        table_config.set(key, value)
    for script, statement, sql in job.statements:
        try:
            if dry_run and statement.first_word in ("SELECT", "WITH"):
                print(t_env.explain_sql(sql))  # planned, never run
                continue
            result = t_env.execute_sql(sql)
            if statement.first_word in ("SELECT", "WITH", "SHOW", "DESCRIBE", "EXPLAIN"):
                _print_rows(result, show_rows)
        except Exception as error:
            raise ScriptError(script.path, statement.line,
                              f"statement {statement.number} failed: {_message(error)}") from error
    if not job.inserts:
        return None
    statement_set = t_env.create_statement_set()
    for script, statement, sql in job.inserts:
        try:
            statement_set.add_insert_sql(sql)
        except Exception as error:
            raise ScriptError(script.path, statement.line,
                              f"statement {statement.number} failed: {_message(error)}") from error
    first = job.inserts[0][0]
    try:
        if dry_run:
            statement_set.explain()
            return None
        result = statement_set.execute()
    except Exception as error:
        raise ScriptError(first.path, 0, f"the job failed to start: {_message(error)}") from error
    client = result.get_job_client()
    job_id = str(client.get_job_id()) if client else None
    if not detach:
        try:
            result.wait()
        except Exception as error:
            raise ScriptError(first.path, 0, f"job {job_id} failed: {_message(error)}") from error
    return job_id


def _print_rows(result, limit: int) -> None:
    with result.collect() as rows:
        for count, row in enumerate(rows):
            if count >= limit:
                break
            print(row)


def _message(error: BaseException) -> str:
    lines = [ln for ln in str(error).strip().splitlines() if ln.strip()]
    kept = [ln for ln in lines if not ln.lstrip().startswith(("at ", "JVM stacktrace", "..."))]
    causes = [ln for ln in kept if "Caused by" in ln or "Exception:" in ln]
    return "\n  ".join(causes[-3:] if causes else kept[:6]) or type(error).__name__


def staged_outputs(variables: dict[str, str]) -> dict[str, tuple[Path, Path]]:
    """For each replaced output variable: (final folder, staging folder)."""
    names = [n.strip() for n in (value_of(variables, "flink_replace_outputs") or "").split(",")
             if n.strip()]
    staged = {}
    for name in names:
        final = Path(value_of(variables, name))
        staged[name] = (final, final.with_name(f".{final.name}.staging-{uuid.uuid4().hex[:8]}"))
    return staged


def written_outputs(job: FlinkJob, staged: dict[str, tuple[Path, Path]]
                    ) -> dict[str, tuple[Path, Path]]:
    """Of the staged outputs, those a table the job INSERTs into writes: a job that writes only
    the feature log leaves the alerts folder as it was."""
    targets = {m.group(1).lower() for _, _, sql in job.inserts
               if (m := INSERT_TARGET.match(sql))}
    written = " ".join(sql for _, _, sql in job.statements
                       if sqlscript.created_names(sql) & targets)
    return {name: paths for name, paths in staged.items() if str(paths[1]) in written}


def swap_in(final: Path, staging: Path) -> None:
    """Replace `final` by `staging` with two renames; the old copy is removed last."""
    staging.mkdir(parents=True, exist_ok=True)
    old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
    if final.exists():
        final.rename(old)
    staging.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def argument_parser() -> argparse.ArgumentParser:
    """The command's flags; docs/reference/cli.md is generated from it."""
    parser = argparse.ArgumentParser(
        prog="flink_sql.py", description="Run Flink SQL files as one job, with ${variables}.")
    parser.add_argument("paths", nargs="+", type=Path,
                        help=".sql files, or folders: each of their .sql files")
    parser.add_argument("--var", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--profile", default=os.environ.get("SQLPLATFORM_PROFILE", "local"))
    parser.add_argument("--jobmanager", metavar="HOST:PORT",
                        help="submit to this session cluster instead of an in-process one")
    parser.add_argument("--dry-run", action="store_true",
                        help="create the tables and plan the job; run nothing")
    parser.add_argument("--detach", action="store_true", help="submit and return")
    parser.add_argument("--parallelism", type=int, help="override parallelism.default")
    parser.add_argument("--restore", metavar="PATH|latest",
                        help="start from this savepoint or checkpoint; latest: the newest one "
                             "under execution.checkpointing.dir")
    parser.add_argument("--render", action="store_true",
                        help="print the job as one script for the Flink SQL client")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = argument_parser().parse_args(argv)
    # A parent that ran Python UDFs on a local MiniCluster (loopback mode: the workers run in
    # the client process) has these set; inherited, the first stops this process starting its
    # gateway, and the others send this job's Python work to the parent's workers.
    for inherited in LOOPBACK_VARIABLES:
        os.environ.pop(inherited, None)
    # Flink's scripts export JAVA_HOME="" when only the PATH has java, and a parent that hosted a
    # Python worker pool copies its workers' environment into its own; PyFlink would then start
    # "bin/java". Empty means none: java from the PATH.
    if os.environ.get("JAVA_HOME") == "":
        del os.environ["JAVA_HOME"]

    try:
        profile = load_profile(args.profile)
        variables = {**profile.vars, **parse_assignments(args.var)}
        staged = {} if args.render or args.dry_run or args.detach else staged_outputs(variables)
        variables.update({name: str(staging) for name, (_, staging) in staged.items()})
        job = build(args.paths, profile, variables, jobmanager=args.jobmanager,
                    settings={"parallelism.default": str(args.parallelism)}
                    if args.parallelism else None)
        check_variables(parse_assignments(args.var),
                        {script.path: script for script, _, _ in [*job.statements, *job.inserts]
                         }.values(), profile.vars)
        staged = written_outputs(job, staged)
        if args.restore:
            job.settings.update(restore_config(args.restore, job.settings))
            print(f"restoring from {job.settings['execution.state-recovery.path']}",
                  file=sys.stderr)
    except (ProfileError, ScriptError, BuildError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.render:
        print(render(job), end="")
        return 0
    started = time.monotonic()
    try:
        job_id = run(job, dry_run=args.dry_run, detach=args.detach)
    except ScriptError as error:
        for _, staging in staged.values():
            shutil.rmtree(staging, ignore_errors=True)
        print(f"error: {error}", file=sys.stderr)
        return 1
    for final, staging in staged.values():
        swap_in(final, staging)
    verb = "planned" if args.dry_run else ("submitted" if args.detach else "ran")
    files = len({script.path for script, _, _ in [*job.statements, *job.inserts]})
    print(f"{verb} {files} file(s) as job {job_id} in {time.monotonic() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
