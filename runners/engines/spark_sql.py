"""Run Spark SQL files: `python runners/spark_sql.py FILE_OR_DIR [...]`.

Each statement of a file runs in order, in Spark started in this process, or with `--remote
sc://HOST:PORT` (or SPARK_REMOTE, or the profile's spark_remote) on a Spark Connect server that
stays warm between runs (runners/services/spark_connect.py starts a local one).

Where: --master or --remote, else SPARK_MASTER or SPARK_REMOTE (not both), else the profile.
`${name}` variables take their values from the file's `-- @param` defaults, then the profile,
then `--var name=value`. A query statement is printed as a table. Views named by `-- @output` are
written to the lake (and with `publish`, to the warehouse); tables already in the lake are
visible by name. Given a folder, every file runs in dependency order; given a file, the files it
depends on run first unless --no-upstream is set.

This module holds no business rule: the rules are the .sql files.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `runners` and `udfs` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from runners import CHECKOUT  # noqa: E402
from runners.engines import sqlscript
from runners.engines.sqlscript import Directive, Script, ScriptError, Statement
from runners.engines.warehouse import WarehouseError
from runners.profiles import (
    Profile,
    ProfileError,
    check_variables,
    load_profile,
    parse_assignments,
    value_of,
)

JAR_DIR = CHECKOUT / "build" / "jars" / "spark"
# The driver's start-up classes, mapped instead of loaded (runners/engines/spark_class_archive.py).
CLASS_ARCHIVE = CHECKOUT / "build" / "spark-classes.jsa"
QUERY_WORDS = {"SELECT", "WITH", "VALUES", "FROM", "TABLE", "SHOW", "DESCRIBE", "DESC", "EXPLAIN"}
SPARK_DEFAULTS = {
    "spark.app.name": "sqlplatform",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.adaptive.coalescePartitions.enabled": "true",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    # Files that run side by side share the cores instead of queueing behind each other.
    "spark.scheduler.mode": "FAIR",
    # A cold batch spends half its CPU in the JIT compiler (measured: 75 of 148 CPU-seconds at
    # 10M events on 2 cores); compiling only the hotter methods gives that time to the tasks.
    "spark.driver.extraJavaOptions": "-XX:CompileThresholdScaling=3",
}


@dataclass
class RunOptions:
    variables: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False
    upstream: bool = True
    publish: bool = True
    show_rows: int = 20
    echo: bool = True
    parallel: int = 2  # files run side by side when they do not depend on each other
    check: bool = False  # run each file's @check declarations after it


@dataclass
class RunResult:
    published: list[str] = field(default_factory=list)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per file, and publishing


def collect_scripts(paths: Sequence[Path], upstream: bool) -> list[Script]:
    """The scripts to run for the given files and folders, in dependency order."""
    chosen: dict[Path, Script] = {}
    for path in paths:
        if path.is_dir():
            files = sorted(path.glob("*.sql"))
            if not files:
                raise ScriptError(path, 0, "no .sql files in this folder")
            for script in sqlscript.dependency_order([sqlscript.load(f) for f in files]):
                chosen[script.path] = script
        elif path.is_file():
            siblings = [sqlscript.load(f) for f in sorted(path.parent.glob("*.sql"))]
            target = next((s for s in siblings if s.path == path), None) or sqlscript.load(path)
            for script in (sqlscript.upstream_of(target, siblings) if upstream else [target]):
                chosen[script.path] = script
        else:
            raise ScriptError(path, 0, "no such file or folder")
    return sqlscript.dependency_order(list(chosen.values()))


def format_graph(models: list[sqlscript.Model]) -> str:
    """One line per file, in run order: the file, the tables it reads, the tables it writes."""
    def shown(path: Path) -> str:
        return str(path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path)

    width = max((len(shown(m.script.path)) for m in models), default=0)
    return "".join(f"{shown(m.script.path):<{width}}  reads {', '.join(m.reads) or '-'}  "
                   f"writes {', '.join(m.writes) or '-'}\n" for m in models)


def spark_conf(profile: Profile, master: str | None) -> dict[str, str]:
    conf = dict(SPARK_DEFAULTS)
    conf.update(profile.spark)
    if master:
        conf["spark.master"] = master
    elif "PYSPARK_GATEWAY_PORT" in os.environ:  # under spark-submit, its --master wins
        conf.pop("spark.master", None)
    jars = sorted(str(j) for j in JAR_DIR.glob("*.jar"))
    if jars:
        conf["spark.jars"] = ",".join(jars)
    if CLASS_ARCHIVE.is_file():
        # -Xshare:auto (the default): an archive from another JDK or classpath is ignored.
        conf["spark.driver.extraJavaOptions"] = " ".join(filter(None, (
            conf.get("spark.driver.extraJavaOptions"), f"-XX:SharedArchiveFile={CLASS_ARCHIVE}",
            "-Xlog:cds=off", "-Xlog:cds+dynamic=off")))
    return conf


def start_spark(conf: dict[str, str], remote: str | None = None):
    """A Spark session: in this process, or a new session on the Spark Connect server at
    `remote`, which takes the session settings (spark.sql.*) and keeps its own for the rest."""
    from pyspark.sql import SparkSession

    if remote:
        builder = SparkSession.builder.remote(remote)
        for key, value in conf.items():
            if key.startswith("spark.sql."):
                builder = builder.config(key, value)
        return builder.create()
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # bind the driver to loopback only
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = SparkSession.builder
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def spark_target(profile: Profile, master: str | None, remote: str | None,
                 environ: Mapping[str, str] = os.environ) -> tuple[str | None, str | None]:
    """Where the files run, as (master, remote), at most one of them set; neither means the
    profile's spark.master in this process. A flag (--master, --remote) beats the environment
    (SPARK_MASTER, SPARK_REMOTE), which beats the profile (spark_remote, then spark.master).
    Both variables set is an error: which one was meant cannot be guessed."""
    if master or remote:
        return master, remote
    env_master, env_remote = environ.get("SPARK_MASTER"), environ.get("SPARK_REMOTE")
    if env_master and env_remote:
        raise ProfileError("both SPARK_MASTER and SPARK_REMOTE are set: unset one, or say "
                           "which with --master or --remote")
    if env_master or env_remote:
        return env_master or None, env_remote or None
    return None, value_of(profile.vars, "spark_remote") or None


def _activate(spark) -> None:
    """Make `spark` this thread's active session. Spark Connect keeps the active session per
    thread, and MLlib (the FPGrowth step) looks it up there."""
    activate = getattr(type(spark), "_set_default_and_active_session", None)
    if activate is not None:
        activate(spark)


class SparkSqlRunner:
    """Runs scripts in one Spark session; reusable across runs (tests keep one JVM)."""

    def __init__(self, spark, profile_vars: dict[str, str] | None = None):
        self.spark = spark
        self.profile_vars = dict(profile_vars or {})
        self._lock = threading.Lock()
        self._local = threading.local()

    def run(self, scripts: Iterable[Script], options: RunOptions) -> RunResult:
        from runners.engines.lake import Lake
        from runners.engines.warehouse import publish

        started = time.monotonic()
        result = RunResult()
        scripts = list(scripts)
        with tempfile.TemporaryDirectory(prefix="sqlplatform-dry-") as scratch:
            base = {**self.profile_vars, **options.variables}
            if options.dry_run:  # plan against the declared schemas: empty inputs, scratch lake
                os.makedirs(f"{scratch}/events")
                base.update(events_path=f"{scratch}/events", lake_path=f"{scratch}/lake")
            lake = Lake(self.spark, self._lake_root(scripts, base))
            self._register_lake_tables(lake, scripts)
            self._run_all(scripts, base, lake, options, result)
            to_publish = [o.table for s in scripts for o in s.outputs if o.publish]
            url = value_of(base, "warehouse_url")
            if to_publish and options.publish and url and not options.dry_run:
                self._say(options, f"publishing {', '.join(to_publish)} to the warehouse")
                t0 = time.monotonic()
                try:
                    publish(self.spark, lake, to_publish, url)
                except Exception as error:
                    raise WarehouseError(
                        f"publishing to the warehouse {url} failed: {_spark_message(error)}\n"
                        "The lake holds this run's results and the warehouse its previous "
                        "tables, whole; run again to publish.") from error
                result.timings["publish"] = round(time.monotonic() - t0, 2)
                result.published = to_publish
        result.seconds = time.monotonic() - started
        return result

    def _run_all(self, scripts: list[Script], base: dict[str, str], lake, options: RunOptions,
                 result: RunResult) -> None:
        """Run each script once the scripts it depends on are done, up to options.parallel at
        a time: independent files share the cores, so one file's single-task stage or planning
        does not leave the machine idle."""
        needs = sqlscript.dependencies(scripts)
        pending = list(scripts)
        done: set[Path] = set()
        running: dict[Future, Script] = {}
        with ThreadPoolExecutor(max_workers=max(1, options.parallel)) as pool:
            while pending or running:
                for script in [s for s in pending if set(needs[s.path]) <= done]:
                    if len(running) >= max(1, options.parallel):
                        break
                    pending.remove(script)
                    values = {**script.params, **base}
                    running[pool.submit(self._run_timed, script, values, lake, options,
                                        result)] = script
                if not running:  # nothing can start: what is left waits on itself
                    names = ", ".join(s.path.name for s in pending)
                    raise ScriptError(pending[0].path, 0, f"files wait on each other: {names}")
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    script = running.pop(future)
                    error = future.exception()
                    if error is not None:
                        for other in running:
                            other.cancel()
                        raise error
                    done.add(script.path)

    def _run_timed(self, script: Script, values: dict[str, str], lake, options: RunOptions,
                   result: RunResult) -> None:
        self._local.buffer = []
        _activate(self.spark)
        t0 = time.monotonic()
        try:
            self._run_script(script, values, lake, options, result)
        finally:
            elapsed = round(time.monotonic() - t0, 2)
            with self._lock:
                result.timings[script.path.stem] = elapsed
                if options.echo and self._local.buffer:
                    print("\n".join(self._local.buffer), flush=True)
            self._local.buffer = None

    def _lake_root(self, scripts: list[Script], base: dict[str, str]) -> str:
        """The profile's lake_path (or --var's): the one place it is defined."""
        if "lake_path" not in base:
            raise ProfileError("no lake_path: the profile defines it (or --var lake_path=...)")
        return value_of(base, "lake_path")

    def _register_lake_tables(self, lake, scripts: list[Script]) -> None:
        """Make visible by name the lake's tables that the files read and do not create, as
        the graph sees them (sqlscript.model_graph). Each costs a round trip and a schema read
        on a Spark Connect server, so the others are left out."""
        created = {name for script in scripts for name in script.creates()}
        read = {name for script in scripts for name in script.references()} - created
        for table in lake.tables():
            if table.lower() in read:
                lake.read(table).createOrReplaceTempView(table)

    def _run_script(self, script: Script, values: dict[str, str], lake, options: RunOptions,
                    result: RunResult) -> None:
        self._say(options, f"-- {script.path}")
        pending = {o.table.lower(): o for o in script.outputs}
        for item in script.items:
            if isinstance(item, Statement):
                self._run_statement(script, item, values, options)
                # Write an output as soon as it exists, so later statements read the lake copy
                # instead of recomputing the view.
                for name in sqlscript.created_names(item.text):
                    if name in pending:
                        self._write_output(script, pending.pop(name), lake, options, result)
            elif item.kind == "step":
                self._run_step(script, item, values, options)
        for output in pending.values():
            self._write_output(script, output, lake, options, result)
        if options.check:
            self._run_checks(script, values, options)

    def _run_checks(self, script: Script, values: dict[str, str], options: RunOptions) -> None:
        """The file's @check declarations on what it wrote; the first that fails stops the run."""
        from runners.engines.checks import checks_of

        for check in checks_of(script):
            try:
                failures = self.spark.sql(check.failures_sql(values))
                count = 0 if options.dry_run else failures.collect()[0][0]
            except Exception as error:
                raise ScriptError(script.path, check.line, f"@check {check.describe()}: "
                                  f"{_spark_message(error)}") from error
            if count:
                raise ScriptError(script.path, check.line,
                                  f"@check {check.describe()} failed: {count} row(s) break it")
            self._say(options, f"   check {check.describe()}: ok")

    def _write_output(self, script: Script, output, lake, options: RunOptions,
                      result: RunResult) -> None:
        try:
            df = self.spark.table(output.table)
        except Exception as error:
            raise ScriptError(script.path, 0, f"@output {output.table}: no such view "
                              f"({_first_line(error)})") from error
        if options.dry_run:
            return
        t0 = time.monotonic()
        try:
            lake_df = lake.write(df, output.table, output.partition_by)
        except Exception as error:
            raise ScriptError(script.path, 0, f"writing {output.table} to the lake failed: "
                              f"{_spark_message(error)}") from error
        lake_df.createOrReplaceTempView(output.table)
        self._say(options, f"   wrote {output.table} to {lake.path(output.table)} "
                           f"({time.monotonic() - t0:.1f}s)")

    def _run_statement(self, script: Script, statement: Statement, values: dict[str, str],
                       options: RunOptions) -> None:
        sql = sqlscript.substitute(statement.text, values, path=script.path, line=statement.line)
        try:
            df = self.spark.sql(sql)
            if statement.first_word in QUERY_WORDS:
                if options.dry_run:  # plan it, through SQL (no JVM handle: Spark Connect has none)
                    self.spark.sql(f"EXPLAIN {sql}").collect()
                elif options.show_rows > 0:
                    self._say(options, df._show_string(options.show_rows, truncate=False))
        except Exception as error:
            if isinstance(error, ScriptError):
                raise
            raise ScriptError(script.path, statement.line,
                              f"statement {statement.number} failed: {_spark_message(error)}"
                              ) from error

    def _run_step(self, script: Script, directive: Directive, values: dict[str, str],
                  options: RunOptions) -> None:
        if not directive.args:
            raise ScriptError(script.path, directive.line, "@step needs module.function")
        target, *pairs = directive.args
        module_name, _, function_name = target.rpartition(".")
        kwargs = {}
        for pair in pairs:
            key, eq, raw = pair.partition("=")
            if not eq:
                raise ScriptError(script.path, directive.line, f"@step argument {pair!r}: "
                                  "write key=value")
            if key in ("reads", "writes"):  # declarations for the graph, not arguments
                continue
            kwargs[key] = sqlscript.substitute(raw, values, path=script.path, line=directive.line)
        try:
            function = getattr(importlib.import_module(module_name), function_name)
        except (ImportError, AttributeError) as error:
            raise ScriptError(script.path, directive.line, f"@step {target}: {error}") from error
        self._say(options, f"   step {target}")
        try:
            function(self.spark, dry_run=options.dry_run, **kwargs)
        except Exception as error:
            raise ScriptError(script.path, directive.line,
                              f"@step {target} failed: {_spark_message(error)}") from error
        missing = sorted(name for name in sqlscript.step_tables(script.path, directive, "writes")
                         if not self.spark.catalog.tableExists(name))
        if missing:
            raise ScriptError(script.path, directive.line,
                              f"@step {target} did not create what it declares: {missing}")

    def _say(self, options: RunOptions, text: str) -> None:
        """Print, or keep for the end of the current file when files run side by side."""
        if not options.echo:
            return
        buffer = getattr(self._local, "buffer", None)
        if buffer is not None:
            buffer.append(text.rstrip("\n"))
        else:
            print(text, flush=True)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _spark_message(error: BaseException) -> str:
    lines = [ln for ln in str(error).strip().splitlines() if ln.strip()]
    kept = [ln for ln in lines if not ln.startswith(("JVM stacktrace", "\tat ", "  at "))]
    return "\n  ".join(kept[:6]) or type(error).__name__


def argument_parser() -> argparse.ArgumentParser:
    """The command's flags; docs/reference/cli.md is generated from it."""
    parser = argparse.ArgumentParser(
        prog="spark_sql.py", description="Run Spark SQL files in order, with ${variables}.")
    parser.add_argument("paths", nargs="+", type=Path, help=".sql files or folders of them")
    parser.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                        help="set a variable (repeatable)")
    parser.add_argument("--profile", default=os.environ.get("SQLPLATFORM_PROFILE", "local"),
                        help="runners/profiles/NAME.toml (default: local)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--master",
                       help="Spark master URL (default: SPARK_MASTER, else the profile's)")
    where.add_argument("--remote", metavar="sc://HOST:PORT",
                       help="run on this Spark Connect server (default: SPARK_REMOTE, else the "
                            "profile's spark_remote, else Spark in this process); SPARK_MASTER "
                            "and SPARK_REMOTE both set is an error")
    parser.add_argument("--dry-run", action="store_true",
                        help="parse and plan every statement on empty inputs; write nothing")
    parser.add_argument("--no-upstream", action="store_true",
                        help="run only the given files; read their inputs from the lake")
    parser.add_argument("--no-publish", action="store_true", help="do not write the warehouse")
    parser.add_argument("--show", type=int, default=20,
                        help="rows to print of each query (0: do not run queries)")
    parser.add_argument("--parallel", type=int, default=2, metavar="N",
                        help="run up to N independent files at once (default 2)")
    parser.add_argument("--timings", action="store_true",
                        help="end with a TIMINGS line: JSON seconds per phase")
    parser.add_argument("--check", action="store_true",
                        help="run each file's @check declarations after it; stop at a failure")
    parser.add_argument("--list", action="store_true",
                        help="print the files in run order with what each reads and writes; "
                             "run nothing")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = argument_parser().parse_args(argv)

    try:
        profile = load_profile(args.profile)
        options = RunOptions(variables=parse_assignments(args.var), dry_run=args.dry_run,
                             upstream=not args.no_upstream, publish=not args.no_publish,
                             show_rows=args.show, parallel=args.parallel, check=args.check)
        scripts = collect_scripts([p for p in args.paths], options.upstream)
        check_variables(options.variables, scripts, profile.vars)
        if args.list:
            print(format_graph(sqlscript.model_graph(scripts)), end="")
            return 0
        master, remote = spark_target(profile, args.master, args.remote)
    except (ProfileError, ScriptError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if remote:
        from runners.services import spark_connect

        if not spark_connect.reachable(remote):
            print(f"error: no Spark Connect server answers at {remote.split('/;')[0]}; start a "
                  "local one with `python runners/services/spark_connect.py start`",
                  file=sys.stderr)
            return 2
    t0 = time.monotonic()
    spark = start_spark(spark_conf(profile, master), remote)
    spark_start = time.monotonic() - t0
    try:
        result = SparkSqlRunner(spark, profile.vars).run(scripts, options)
    except (ProfileError, ScriptError, WarehouseError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        spark.stop()
    verb = "planned" if args.dry_run else "ran"
    where = f" on {remote.split('/;')[0]}" if remote else ""  # the URL without its token
    print(f"{verb} {len(scripts)} file(s){where} in {result.seconds:.1f}s")
    if args.timings:
        print("TIMINGS " + json.dumps({"spark_start": round(spark_start, 2), **result.timings}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
