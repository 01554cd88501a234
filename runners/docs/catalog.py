"""The model catalog of the documentation site, read from the SQL files so it cannot drift.

`make docs` runs it through runners/docs/mkdocs_hooks.py. It gives:
- a page per file under sql/: its header, parameters with their defaults, outputs, @checks,
  @steps, declared columns, and its upstream and downstream files as links;
- a page per table or view of the fraud job, with what it reads and what reads it;
- the graphs: the batch and the churn features from `sqlscript.model_graph`, and the fraud
  job's tables and views in the job's file order (`flink_sql.collect_scripts`).

A file whose header lacks one of SECTIONS is reported by `missing_sections`; the hook names it
in the build's output as a warning, which `mkdocs build --strict` turns into a failure.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from runners import CHECKOUT
from runners.engines import sqlscript
from runners.engines.sqlscript import Directive, Script, Statement

SQL = CHECKOUT / "sql"
SECTIONS = ("Computes", "Input", "Output", "Parameters")
SECTION = re.compile(r"^(Computes|Inputs?|Outputs?|Parameters|Edges|Columns|Runs in):\s*(.*)$")
# The fraud job as the local profile builds it; the platform's connectors declare the same names.
FRAUD_JOB = Path("flink") / "fraud_detection.sql"
FRAUD_CONNECTORS = Path("flink") / "connectors" / "files.sql"
TABLE_COLUMNS = re.compile(
    r"\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMPORARY\s+)?(?:TABLE|VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    r"`?\w+`?\s*\(", re.IGNORECASE)
LIKE = re.compile(r"\)?\s*LIKE\s+`?(\w+)`?", re.IGNORECASE)
INSERT_INTO = re.compile(r"\bINSERT\s+INTO\s+`?(\w+)`?", re.IGNORECASE)


def dialect_of(path: Path) -> str:
    return "spark" if path.is_relative_to(SQL / "spark") else "other"


# --- headers ---------------------------------------------------------------------------------

@dataclass
class Header:
    title: str  # the first line's name
    summary: str  # the first line after "name:"
    sections: dict[str, str] = field(default_factory=dict)  # Computes -> its text
    notes: str = ""  # header text outside the sections


def header(path: Path) -> Header:
    """The leading comment block, without its directives, split into its sections."""
    lines: list[str] = []
    for raw in path.read_text().splitlines():
        if not raw.startswith("--"):
            break
        text = raw[2:]
        if not text.lstrip().startswith("@"):
            lines.append(text[1:] if text.startswith(" ") else text)
    first, _, summary = (lines[0] if lines else "").partition(":")
    result = Header(title=first.strip(), summary=summary.strip())
    current: str | None = None
    notes: list[str] = []
    for line in lines[1:]:
        match = SECTION.match(line)
        if match:
            current = {"Inputs": "Input", "Outputs": "Output"}.get(match.group(1), match.group(1))
            result.sections[current] = match.group(2)
        elif current and line.startswith("  ") and line.strip():
            result.sections[current] += " " + line.strip()
        else:
            current = None
            notes.append(line.strip())
    result.notes = " ".join(" ".join(notes).split())
    return result


def missing_sections(path: Path) -> list[str]:
    """The SECTIONS its header lacks (Inputs counts as Input, Outputs as Output)."""
    found = header(path).sections
    return [name for name in SECTIONS if name not in found]


# --- graphs ----------------------------------------------------------------------------------

@dataclass
class Graph:
    name: str
    title: str
    nodes: dict[str, str]  # id -> the page it links to, relative to catalog/
    edges: set[tuple[str, str]]
    groups: dict[str, str] = field(default_factory=dict)  # id -> the file that defines it


def page_of(path: Path) -> str:
    """A file's catalog page, relative to catalog/: sql/spark/segments.sql -> spark/segments.md."""
    return path.resolve().relative_to(SQL).with_suffix(".md").as_posix()


def file_graph(name: str, title: str, scripts: list[Script]) -> Graph:
    """Files and the edges model_graph gives (upstream -> file)."""
    models = sqlscript.model_graph(scripts)
    return Graph(name, title,
                 {m.script.path.stem: page_of(m.script.path) for m in models},
                 {(up.stem, m.script.path.stem) for m in models for up in m.upstream})


def batch_scripts() -> list[Script]:
    return [sqlscript.load(p) for p in sorted((SQL / "spark").glob("*.sql"))]


def churn_scripts() -> list[Script]:
    return [sqlscript.load(p) for p in sorted((SQL / "spark" / "churn").glob("*.sql"))]


def fraud_job_scripts() -> list[Script]:
    from runners.engines import flink_sql

    return flink_sql.collect_scripts([SQL / FRAUD_JOB], [SQL / FRAUD_CONNECTORS])


@dataclass
class FlinkObject:
    """A table or view of the fraud job, or a sink its statement set writes."""
    name: str
    script: Script
    statement: Statement
    reads: set[str] = field(default_factory=set)
    read_by: set[str] = field(default_factory=set)


def words(sql: str) -> set[str]:
    return {w.lower() for w in sqlscript.WORD.findall(
        sqlscript.strip_strings(sqlscript.strip_comments(sql)))}


def flink_objects(scripts: list[Script]) -> dict[str, FlinkObject]:
    """Each created table and view with the created names its statement reads. An INSERT of the
    job's statement set makes its target sink read the names of its SELECT."""
    objects: dict[str, FlinkObject] = {}
    for script in scripts:
        for statement in script.statements:
            for name in sqlscript.created_names(statement.text):
                objects.setdefault(name, FlinkObject(name, script, statement))
    for obj in objects.values():
        obj.reads = (words(obj.statement.text) & objects.keys()) - {obj.name}
    for script in scripts:
        for statement in script.statements:
            target = INSERT_INTO.search(sqlscript.strip_comments(statement.text))
            if target and target.group(1).lower() in objects:
                sink = objects[target.group(1).lower()]
                sink.reads |= (words(statement.text) & objects.keys()) - {sink.name}
    for obj in objects.values():
        for name in obj.reads:
            objects[name].read_by.add(obj.name)
    return objects


def fraud_view_graph(scripts: list[Script]) -> Graph:
    objects = flink_objects(scripts)
    return Graph("fraud_job", "The fraud job's tables and views",
                 {name: f"flink/views/{name}.md" for name in objects},
                 {(read, obj.name) for obj in objects.values() for read in obj.reads},
                 {name: obj.script.path.stem for name, obj in objects.items()})


def graphs(batch: list[Script], churn: list[Script], job: list[Script]) -> list[Graph]:
    return [file_graph("batch", "The batch (sql/spark)", batch),
            file_graph("churn", "The churn features (sql/spark/churn)", churn),
            fraud_view_graph(job)]


# --- declared columns ------------------------------------------------------------------------

def declared_columns(statement: Statement) -> list[tuple[str, str]]:
    """(name, type or expression) of a CREATE TABLE/VIEW's column list, in order; none when it
    declares none. Watermarks and keys are not columns."""
    code = sqlscript.strip_comments(statement.text)
    match = TABLE_COLUMNS.search(code)
    if not match:
        return []
    depth, start, items = 1, match.end(), []
    for index in range(match.end(), len(code)):
        char = code[index]
        depth += {"(": 1, ")": -1}.get(char, 0)
        if (char == "," and depth == 1) or depth == 0:
            items.append(" ".join(code[start:index].split()))
            start = index + 1
        if depth == 0:
            break
    columns = []
    for item in items:
        name, _, rest = item.partition(" ")
        if name.upper() in ("WATERMARK", "PRIMARY", "CONSTRAINT", "") or not rest:
            continue
        columns.append((name.strip("`\""), rest))
    return columns


MODEL_STATEMENT = re.compile(r"\s*CREATE\s+(?:TEMPORARY\s+)?MODEL\b", re.IGNORECASE)


def selected_columns(statement: Statement, dialect: str = "spark") -> list[str]:
    """The names a view's SELECT gives, when it names them all (no *) and the parser reads it
    (for Flink, a generic dialect: it does not read a window table function or a pattern)."""
    import sqlglot
    from sqlglot import exp

    if MODEL_STATEMENT.match(sqlscript.strip_comments(statement.text)):
        return []  # a model's columns are its INPUT and OUTPUT, which the page lists
    try:
        tree = sqlglot.parse_one(sqlscript.VARIABLE.sub("0", statement.text), read=dialect)
    except sqlglot.errors.SqlglotError:
        return []
    query = tree.expression if isinstance(tree, exp.Create) else None
    if not isinstance(query, exp.Query) or any(
            isinstance(e, exp.Star) for e in query.selects):
        return []
    return list(query.named_selects)


# --- pages -----------------------------------------------------------------------------------

def text(value: str) -> str:
    """Header text as Markdown that shows it as written."""
    return re.sub(r"([\\*_\[\]#|])", r"\\\1", html.escape(value, quote=False))


def link(from_page: str, to_page: str, label: str) -> str:
    depth = from_page.count("/")
    return f"[{label}]({'../' * depth}{to_page})"


@dataclass
class Catalog:
    pages: dict[str, str]  # path under catalog/ -> Markdown
    images: dict[str, bytes]  # path under catalog/ -> SVG
    problems: list[str]  # files whose header lacks a section


def directives(script: Script, kind: str) -> list[Directive]:
    return [d for d in script.items if isinstance(d, Directive) and d.kind == kind]


def file_page(path: Path, upstream: list[Path], downstream: list[Path],
              objects: dict[str, FlinkObject]) -> str:
    script = sqlscript.load(path, dialect=dialect_of(path))
    head, page = header(path), page_of(path)
    rel = path.resolve().relative_to(SQL.parent).as_posix()
    out = [f"# {path.name}", "", f"`{rel}`" + (f": {text(head.summary)}" if head.summary else ""),
           ""]
    for name in ("Computes", "Input", "Output", "Parameters", "Edges", "Columns", "Runs in"):
        value = head.sections.get(name)
        if value:
            out += [f"**{name}.** {text(value)}", ""]
    if head.notes:
        out += [text(head.notes), ""]
    if script.params:
        out += ["## Parameters", "", "| name | default |", "| --- | --- |"]
        out += [f"| `{k}` | `{v}` |" for k, v in script.params.items()] + [""]
    if script.outputs:
        out += ["## Outputs", "", "| table | partitioned by | published to the warehouse |",
                "| --- | --- | --- |"]
        out += [f"| `{o.table}` | {', '.join(o.partition_by) or '-'} | "
                f"{'yes' if o.publish else 'no'} |" for o in script.outputs] + [""]
    checks = directives(script, "check")
    if checks:
        out += ["## Checks", "", "| on | check | argument |", "| --- | --- | --- |"]
        out += [f"| `{c.args[0]}` | {c.args[1] if len(c.args) > 1 else ''} | "
                f"{text(' '.join(c.args[2:]))} |" for c in checks] + [""]
    steps = directives(script, "step")
    if steps:
        out += ["## Python steps", ""] + [f"- `{' '.join(s.args)}`" for s in steps] + [""]
    mine = sorted(o.name for o in objects.values() if o.script.path == path.resolve())
    if mine:
        out += ["## Tables and views", ""]
        out += [f"- {link(page, f'flink/views/{n}.md', n)}" for n in mine] + [""]
    else:
        for statement in script.statements:
            names = sorted(sqlscript.created_names(statement.text))
            columns = [f"`{n}` {text(t)}" for n, t in declared_columns(statement)]
            if not columns and script.dialect == "spark":
                columns = [f"`{n}`" for n in selected_columns(statement)]
            if names and columns:
                out += [f"## Columns of {names[0]}", "", *[f"- {c}" for c in columns], ""]
    if upstream or downstream:
        out += ["## Lineage", ""]
        out += [f"- upstream: {', '.join(link(page, page_of(p), p.stem) for p in upstream)}"
                if upstream else "- upstream: none"]
        out += [f"- downstream: {', '.join(link(page, page_of(p), p.stem) for p in downstream)}"
                if downstream else "- downstream: none"]
        out.append("")
    out += ["## Source", "", f"```{'jinja' if 'airflow' in rel else 'sql'}",
            path.read_text().rstrip(), "```", ""]
    return "\n".join(out)


def object_page(obj: FlinkObject) -> str:
    page = f"flink/views/{obj.name}.md"
    created = re.search(r"\b(TABLE|VIEW|MODEL)\b", obj.statement.text[:200], re.IGNORECASE)
    kind = created.group(1).lower() if created else "view"
    out = [f"# {obj.name}", "",
           f"A {kind} of the fraud job, created in "
           f"{link(page, page_of(obj.script.path), obj.script.path.name)} "
           f"(line {obj.statement.line}).", ""]
    columns = declared_columns(obj.statement)
    like = LIKE.search(sqlscript.strip_comments(obj.statement.text))
    if columns:
        out += ["## Columns", "", "| column | type or expression |", "| --- | --- |"]
        out += [f"| `{n}` | {text(t)} |" for n, t in columns] + [""]
    elif selected := selected_columns(obj.statement, dialect="postgres"):
        out += ["## Columns", "", "From its SELECT:", "", *[f"- `{n}`" for n in selected], ""]
    if like and kind == "table" and like.group(1).lower() != obj.name:
        schema = like.group(1).lower()
        out += [f"Its columns are those of {link(page, f'flink/views/{schema}.md', schema)}"
                " (`LIKE`).", ""]
    out += ["## Lineage", ""]
    for label, names in (("reads", obj.reads), ("read by", obj.read_by)):
        shown = ", ".join(link(page, f"flink/views/{n}.md", n) for n in sorted(names))
        out.append(f"- {label}: {shown or 'none'}")
    out += ["", "## Statement", "", "```sql", obj.statement.text.strip(), "```", ""]
    return "\n".join(out)


def build() -> Catalog:
    from runners.docs import graph_drawing

    # Each folder parsed once: the graphs, the lineage and the views share these.
    batch, churn, job_scripts = batch_scripts(), churn_scripts(), fraud_job_scripts()
    drawn = graphs(batch, churn, job_scripts)
    objects = flink_objects(job_scripts)
    upstream: dict[Path, list[Path]] = {}
    for scripts in (batch, churn, job_scripts):
        for model in sqlscript.model_graph(scripts):
            upstream[model.script.path] = list(model.upstream)
    downstream: dict[Path, list[Path]] = {}
    for path, ups in upstream.items():
        for up in ups:
            downstream.setdefault(up, []).append(path)

    files = sorted(p.resolve() for p in SQL.rglob("*.sql"))
    pages = {page_of(p): file_page(p, upstream.get(p, []), sorted(downstream.get(p, [])),
                                   objects) for p in files}
    pages.update({f"flink/views/{name}.md": object_page(obj) for name, obj in objects.items()})
    images = {f"{g.name}.svg": graph_drawing.svg(g) for g in drawn}
    pages["index.md"] = index_page(files, drawn, images)
    problems = [f"{p.relative_to(SQL.parent)}: its header has no "
                f"{', '.join(m + ':' for m in missing)} section"
                for p in files if (missing := missing_sections(p))]
    return Catalog(pages, images, problems)


def inline_svg(image: bytes) -> str:
    """The <svg> element alone, on one line block with no blank line (Markdown would end the
    HTML block there)."""
    svg_text = image.decode()
    svg_text = svg_text[svg_text.index("<svg"):]
    return "\n".join(line for line in svg_text.splitlines() if line.strip())


def index_page(files: list[Path], drawn: list[Graph], images: dict[str, bytes]) -> str:
    out = ["# Model catalog", "",
           "Every SQL file of the repository, generated from the files by `make docs`: each "
           "page gives the file's header, parameters, outputs, checks, declared columns and "
           "lineage. Click a box of a graph to open its page.", ""]
    for graph in drawn:
        # Inline, so its boxes are links (an <img> is not clickable); the file is there too.
        out += [f"## {graph.title}", "", '<div class="catalog-graph">',
                inline_svg(images[f"{graph.name}.svg"]), "</div>", "",
                f"[The graph alone]({graph.name}.svg)", ""]
    out += ["## Files", "", "| file | what it is |", "| --- | --- |"]
    for path in files:
        out.append(f"| {link('index.md', page_of(path), path.relative_to(SQL).as_posix())} | "
                   f"{text(header(path).summary)} |")
    return "\n".join(out) + "\n"
