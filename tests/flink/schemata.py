"""Many variants of the fraud job's SQL in one Flink job: the mutation check's fast path.

A Flink run of tests/flink/test_detectors.py costs about 10 s, nearly all of it starting and
finishing a job, and the mutation check has a hundred and more Flink mutants. So
(tests/mutants.py) the job is built once with every mutant of a group as a variant beside the
original, a mutant schema: a variant holds the changed file and every file downstream of it,
each name those files create suffixed with `__v<n>`, so it reads the unchanged upstream views
and writes sinks of its own (the connectors file's, renamed, under alerts/v<n>/). Only the sinks
that read a changed view are its own: the others' rows are the original's, which the job writes
once, under alerts/v0/ (a rule's variant has the alert sinks; the dead letters and the feature
log are the original's). One job then answers for a chunk of variants, and the tests read each
variant's rows as if its job had run alone.

The renaming is checked where it is used: the mutation check's baseline is a variant whose
text is unchanged, and the tests must pass on its rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from runners.engines import flink_sql, sqlscript
from runners.engines.flink_sql import FlinkJob
from runners.profiles import Profile

# Comments and quoted strings: names are renamed only outside them.
NOT_CODE = re.compile(r"--[^\n]*|'(?:[^']|'')*'|/\*.*?\*/", re.DOTALL)


def rename(sql: str, names: set[str], suffix: str) -> str:
    """`sql` with each of `names` (whole words, any case) suffixed, outside strings and comments."""
    if not names:
        return sql
    word = re.compile(r"(?<![\w`])(" + "|".join(sorted(map(re.escape, names))) + r")(?![\w`])",
                      re.IGNORECASE)
    out, position = [], 0
    for match in NOT_CODE.finditer(sql):
        out.append(word.sub(lambda m: m.group(1) + suffix, sql[position:match.start()]))
        out.append(match.group(0))
        position = match.end()
    out.append(word.sub(lambda m: m.group(1) + suffix, sql[position:]))
    return "".join(out)


def downstream(scripts: Sequence[sqlscript.Script], changed: set[Path]) -> list[sqlscript.Script]:
    """The changed scripts and every script that reads from them, directly or not, in order."""
    needs = sqlscript.dependencies(list(scripts))
    chosen = set(changed)
    grew = True
    while grew:
        grew = False
        for script in scripts:
            if script.path not in chosen and chosen & set(needs[script.path]):
                chosen.add(script.path)
                grew = True
    return [s for s in scripts if s.path in chosen]


def add_variants(job: FlinkJob, scripts: Sequence[sqlscript.Script], connectors: Path,
                 variants: Sequence[Mapping[Path, str]], values: Mapping[str, str],
                 alerts_of: Callable[[int], Path]) -> list[set[str]]:
    """Add to `job` each variant (file path -> its changed text) as a renamed copy; the sinks
    each variant writes itself."""
    written = []
    for number, changed_texts in enumerate(variants, start=1):
        suffix = f"__v{number}"
        copied = downstream(scripts, set(changed_texts))
        texts = [sqlscript.parse(changed_texts.get(s.path, s.path.read_text()), s.path,
                                 dialect="flink") for s in copied]
        variables = {**values, "alerts_path": str(alerts_of(number)),
                     "fraud_features_path": str(alerts_of(number) / "feature_log")}
        part = flink_sql.resolve(texts, variables)
        # An INSERT that reads none of the variant's views, in a file the variant does not
        # change, writes the original's rows.
        views = set().union(*(sqlscript.created_names(sql) for _, _, sql in part.statements))
        part.inserts = [item for item in part.inserts if item[0].path in changed_texts
                        or rename(item[2], views, suffix) != item[2]]
        sinks = {flink_sql.INSERT_TARGET.match(sql).group(1).lower() for _, _, sql in part.inserts}
        written.append(sinks)
        # The connectors file's sink tables, for this variant's folder.
        sink_file = flink_sql.resolve([sqlscript.load(connectors, dialect="flink")], variables)
        sink_statements = [item for item in sink_file.statements
                           if sqlscript.created_names(item[2]) & sinks]
        statements = sink_statements + part.statements
        names = set().union(*(sqlscript.created_names(sql) for _, _, sql in statements))
        # The variant's own file names (x.sql__v<n>), so that a statement it breaks is blamed
        # on it (tests/flink/harness.py runs that variant alone).
        job.statements += [(replace(s, path=s.path.with_name(s.path.name + suffix)), st,
                            rename(sql, names, suffix)) for s, st, sql in statements]
        job.inserts += [(s, st, rename(sql, names, suffix)) for s, st, sql in part.inserts]
    return written


def build(job_file: Path, profile: Profile, variables: Mapping[str, str],
          variants: Sequence[Mapping[Path, str]], alerts_of: Callable[[int], Path],
          settings: Mapping[str, str]) -> tuple[FlinkJob, list[set[str]]]:
    """The variants of the job of `job_file`, beside the original (its outputs under
    `variables`' alerts_path); the sinks each variant writes itself, the others' rows being the
    original's."""
    connectors = flink_sql.CONNECTOR_DIR / f"{profile.vars['flink_connectors']}.sql"
    job = flink_sql.build([job_file], profile, variables, settings=settings)
    scripts = flink_sql.collect_scripts([job_file.resolve()], connectors)
    written = add_variants(job, scripts, connectors, variants, {**profile.vars, **variables},
                           alerts_of)
    return job, written
