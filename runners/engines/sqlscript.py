"""Parse a .sql file into statements and directives, and substitute ${variables} safely.

Shared by the Spark and Flink runners. A file is a sequence of statements separated by `;`, and
of directives: comment lines that start with `-- @`. Directives are how a file declares what the
runner must know without running it:

    -- @param name = default         a variable and its default
    -- @output table [partition_by=col] [publish]
                                     a view the runner writes to the lake (and the warehouse)
    -- @check table[.column] kind [argument]
                                     a data check of an output (runners/engines/checks.py)
    -- @step module.function [reads=a,b] [writes=c,d] key=value ...
                                     a Python step, run at that point of the file; it declares
                                     the views it reads and creates, which SQL cannot show

What a file reads comes from its statements' table references, found by a real SQL parser
(sqlglot, Spark's dialect), minus its CTEs and the views it creates itself; what it writes is
what it creates. A column, alias or CTE named like another file's table is no reference. Other
dialects (Flink's, which sqlglot does not know) still take every word as a possible name.

Substitution knows where a `${name}` stands. Inside a quoted string the value is escaped as a
string; inside backticks, as an identifier; anywhere else only a number or a plain identifier is
accepted. A value therefore cannot change the shape of the statement it is put into.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
BARE_SAFE = re.compile(r"^(-?\d+(\.\d+)?([eE][-+]?\d+)?|[A-Za-z_][A-Za-z0-9_]*)$")
CREATES = re.compile(
    r"\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:GLOBAL\s+)?(?:TEMPORARY\s+|TEMP\s+)?"
    r"(?:VIEW|TABLE|MODEL)\s+(?:IF\s+NOT\s+EXISTS\s+)?`?([A-Za-z_][A-Za-z0-9_]*)`?",
    re.IGNORECASE,
)
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ScriptError(Exception):
    """A problem in a .sql file, with the place it is at."""

    def __init__(self, path: Path | str, line: int, message: str):
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message = path, line, message


@dataclass(frozen=True)
class Statement:
    text: str
    line: int  # 1-based line of the statement's first character that is not blank or comment
    number: int  # 1-based position among the file's statements

    @property
    def first_word(self) -> str:
        match = WORD.search(strip_comments(self.text))
        return match.group(0).upper() if match else ""


@dataclass(frozen=True)
class Directive:
    kind: str  # param, output, step
    args: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class Output:
    table: str
    partition_by: tuple[str, ...] = ()
    publish: bool = False


@dataclass
class Script:
    path: Path
    items: list[Statement | Directive]
    params: dict[str, str] = field(default_factory=dict)
    dialect: str = "spark"
    # creates() and references() parse every statement; the graph asks each file several times.
    _names: dict[str, set[str]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def statements(self) -> list[Statement]:
        return [item for item in self.items if isinstance(item, Statement)]

    @property
    def outputs(self) -> list[Output]:
        return [parse_output(self.path, d) for d in self.items
                if isinstance(d, Directive) and d.kind == "output"]

    @property
    def steps(self) -> list[Directive]:
        return [d for d in self.items if isinstance(d, Directive) and d.kind == "step"]

    def variables(self) -> set[str]:
        """The ${names} the file declares (@param) or reads (statements, @step, @check)."""
        used = set(self.params)
        for item in self.items:
            texts = [item.text] if isinstance(item, Statement) else list(item.args)
            used |= {m.group(1) for text in texts for m in VARIABLE.finditer(text)}
        return used

    def creates(self) -> set[str]:
        if "creates" not in self._names:
            self._names["creates"] = self._creates()
        return set(self._names["creates"])

    def references(self) -> set[str]:
        """The tables this file reads from other files (Spark); every word (other dialects)."""
        if "references" not in self._names:
            self._names["references"] = self._references()
        return set(self._names["references"])

    def _creates(self) -> set[str]:
        names = {o.table.lower() for o in self.outputs}
        for statement in self.statements:
            names |= created_names(statement.text)
        for step in self.steps:
            names |= step_tables(self.path, step, "writes")
        return names

    def _references(self) -> set[str]:
        if self.dialect != "spark":
            words: set[str] = set()
            for statement in self.statements:
                code = strip_strings(strip_comments(statement.text))
                words |= {w.lower() for w in WORD.findall(code)}
            return words
        read: set[str] = set()
        for statement in self.statements:
            read |= table_references(self.path, statement)
        for step in self.steps:
            read |= step_tables(self.path, step, "reads")
        return read - self.creates()


def table_references(path: Path, statement: Statement) -> set[str]:
    """The tables and views a Spark statement reads, lower-cased: every table reference but
    the ones its CTEs define and the one it creates."""
    import sqlglot
    from sqlglot import exp

    # A ${variable} stands where a value or a name may stand: an identifier parses in both.
    code = VARIABLE.sub(lambda m: f"__variable_{m.group(1)}", statement.text)
    try:
        tree = sqlglot.parse_one(code, dialect="spark")
    except sqlglot.errors.ParseError as error:
        raise ScriptError(path, statement.line,
                          f"statement {statement.number}: cannot read its table references: "
                          f"{str(error).splitlines()[0]}") from error
    local = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    if isinstance(tree, exp.Create):
        target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
        local.add(target.name.lower())
    return {table.name.lower() for table in tree.find_all(exp.Table)} - local


def step_tables(path: Path, step: Directive, role: str) -> set[str]:
    """The views a @step declares it `reads` or `writes` (reads=a,b writes=c)."""
    names: set[str] = set()
    for arg in step.args[1:]:
        key, _, value = arg.partition("=")
        if key == role:
            found = [n for n in value.split(",") if n]
            if not found or not all(WORD.fullmatch(n) for n in found):
                raise ScriptError(path, step.line, f"@step {role}= needs view names, got {value!r}")
            names |= {n.lower() for n in found}
    return names


def parse_output(path: Path, directive: Directive) -> Output:
    if not directive.args:
        raise ScriptError(path, directive.line, "@output needs a table name")
    table, partition_by, publish = directive.args[0], (), False
    for option in directive.args[1:]:
        if option == "publish":
            publish = True
        elif option.startswith("partition_by="):
            partition_by = tuple(c for c in option.split("=", 1)[1].split(",") if c)
        else:
            raise ScriptError(path, directive.line, f"unknown @output option {option!r}")
    return Output(table, partition_by, publish)


def load(path: Path | str, dialect: str = "spark") -> Script:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ScriptError(path, 0, f"cannot read: {error.strerror}") from error
    return parse(text, path, dialect)


def parse(text: str, path: Path | str = "<sql>", dialect: str = "spark") -> Script:
    """Split `text` into statements and directives, in file order."""
    path = Path(path)
    items: list[Statement | Directive] = []
    backslash_escapes = dialect == "spark"
    buf: list[str] = []
    buf_has_code = False
    start_line = 0
    line = 1
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "-" and text.startswith("--", i):
            end = text.find("\n", i)
            end = n if end == -1 else end
            comment = text[i:end]
            directive = comment[2:].strip()
            if directive.startswith("@") and not buf_has_code:
                items.append(_directive(path, directive, line))
            elif buf_has_code:  # comments before a statement are not part of it
                buf.append(comment)
            i = end
            continue
        if ch == "/" and text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end == -1:
                raise ScriptError(path, line, "unterminated /* comment")
            chunk = text[i:end + 2]
            if buf_has_code:
                buf.append(chunk)
            line += chunk.count("\n")
            i = end + 2
            continue
        if ch in "'\"`":
            end = _end_of_quoted(text, i, ch, backslash_escapes and ch != "`")
            if end == -1:
                raise ScriptError(path, line, f"unterminated {ch} quote")
            if not buf_has_code:
                start_line, buf_has_code = line, True
            chunk = text[i:end + 1]
            buf.append(chunk)
            line += chunk.count("\n")
            i = end + 1
            continue
        if ch == ";":
            if buf_has_code:
                number = sum(isinstance(it, Statement) for it in items) + 1
                items.append(Statement("".join(buf).strip(), start_line, number))
            buf, buf_has_code = [], False
            i += 1
            continue
        if ch == "\n":
            line += 1
        elif not ch.isspace() and not buf_has_code:
            start_line, buf_has_code = line, True
        if buf_has_code:
            buf.append(ch)
        i += 1
    if buf_has_code:
        number = sum(isinstance(it, Statement) for it in items) + 1
        items.append(Statement("".join(buf).strip(), start_line, number))
    script = Script(path, items, dialect=dialect)
    for d in items:
        if isinstance(d, Directive) and d.kind == "param":
            name, default = _param(path, d)
            script.params[name] = default
    return script


def _end_of_quoted(text: str, start: int, quote: str, backslash: bool) -> int:
    i = start + 1
    while i < len(text):
        ch = text[i]
        if backslash and ch == "\\":
            i += 2
            continue
        if ch == quote:
            if text.startswith(quote * 2, i):  # a doubled quote is an escaped quote
                i += 2
                continue
            return i
        i += 1
    return -1


def _directive(path: Path, text: str, line: int) -> Directive:
    kind, _, rest = text[1:].partition(" ")
    if kind not in ("param", "output", "step", "check"):
        raise ScriptError(path, line, f"unknown directive @{kind}")
    if kind == "param":
        return Directive(kind, (rest.strip(),), line)
    if kind == "check":  # target, kind, then the rest of the line as it is (an expression)
        return Directive(kind, tuple(rest.strip().split(None, 2)), line)
    return Directive(kind, tuple(rest.split()), line)


def _param(path: Path, directive: Directive) -> tuple[str, str]:
    name, eq, default = directive.args[0].partition("=")
    name = name.strip()
    if not eq or not WORD.fullmatch(name):
        raise ScriptError(path, directive.line, "write @param as: -- @param name = default")
    return name, default.strip()


def created_names(sql: str) -> set[str]:
    """Names of the views and tables a statement creates, lower-cased."""
    return {m.group(1).lower() for m in CREATES.finditer(strip_strings(strip_comments(sql)))}


def strip_comments(sql: str) -> str:
    sql = re.sub(r"/\*.*?\*/", " ", sql, flags=re.DOTALL)
    return re.sub(r"--[^\n]*", " ", sql)


def strip_strings(sql: str) -> str:
    return re.sub(r"'(?:[^'\\]|\\.|'')*'", "''", sql)


def substitute(
    text: str, values: Mapping[str, str], *, path: Path | str = "<sql>", line: int = 1,
    dialect: str = "spark",
) -> str:
    """Replace each ${name} in `text` by its value, escaped for where it stands."""
    out: list[str] = []
    i, n = 0, len(text)
    backslash = dialect == "spark"
    while i < n:
        ch = text[i]
        if ch in "'`\"":
            end = _end_of_quoted(text, i, ch, backslash and ch != "`")
            end = n - 1 if end == -1 else end
            body = text[i + 1:end]
            here = line + text.count("\n", 0, i)
            out.append(ch + VARIABLE.sub(
                lambda m, q=ch, ln=here: _quoted(values, m.group(1), q, backslash, path, ln),
                body) + text[end:end + 1])
            i = end + 1
            continue
        if ch == "-" and text.startswith("--", i):
            end = text.find("\n", i)
            end = n if end == -1 else end
            out.append(text[i:end])
            i = end
            continue
        match = VARIABLE.match(text, i)
        if match:
            value = _value(values, match.group(1), path, line + text.count("\n", 0, i))
            if not BARE_SAFE.match(value):
                raise ScriptError(path, line + text.count("\n", 0, i),
                                  f"${{{match.group(1)}}} stands outside quotes, so its value must "
                                  f"be a number or a plain identifier, not {value!r}")
            out.append(value)
            i = match.end()
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _value(values: Mapping[str, str], name: str, path: Path | str, line: int) -> str:
    if name not in values:
        raise ScriptError(path, line, f"variable ${{{name}}} has no value: declare it with "
                                      f"'-- @param {name} = ...' or pass --var {name}=...")
    env_name = getattr(values[name], "env_name", None)
    if env_name:  # a profile variable whose environment variable is not set
        raise ScriptError(path, line, f"variable ${{{name}}} comes from the environment "
                                      f"variable {env_name}, which is not set")
    return str(values[name])


def _quoted(values: Mapping[str, str], name: str, quote: str, backslash: bool,
            path: Path | str, line: int) -> str:
    value = _value(values, name, path, line)
    if quote == "`":
        return value.replace("`", "``")
    if backslash:
        value = value.replace("\\", "\\\\")
        return value.replace(quote, "\\" + quote)
    return value.replace(quote, quote * 2)


def dependencies(scripts: list[Script]) -> dict[Path, list[Path]]:
    """For each script, the scripts (among these) that create a name it reads."""
    creators: dict[str, Path] = {}
    for script in sorted(scripts, key=lambda s: s.path.name):
        for name in script.creates():
            creators.setdefault(name, script.path)
    return {
        s.path: sorted({creators[w] for w in s.references() if w in creators} - {s.path})
        for s in scripts
    }


def dependency_order(scripts: list[Script]) -> list[Script]:
    """Order scripts so each runs after the scripts that create what it reads; ties by name."""
    needs = dependencies(scripts)
    by_path = {s.path: s for s in scripts}
    ordered: list[Script] = []
    state: dict[Path, str] = {}

    def visit(path: Path, chain: list[Path]) -> None:
        if state.get(path) == "done":
            return
        if state.get(path) == "active":
            cycle = " -> ".join(p.name for p in [*chain, path])
            raise ScriptError(path, 0, f"files depend on each other in a cycle: {cycle}")
        state[path] = "active"
        for dep in needs[path]:
            visit(dep, [*chain, path])
        state[path] = "done"
        ordered.append(by_path[path])

    for script in sorted(scripts, key=lambda s: s.path.name):
        visit(script.path, [])
    return ordered


@dataclass(frozen=True)
class Model:
    """A file in the graph: what it reads from other files, what it writes, and the files
    (among those given) that write what it reads."""
    script: Script
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    upstream: tuple[Path, ...]


def model_graph(scripts: list[Script]) -> list[Model]:
    """The files in run order, each with its reads, writes and upstream files. The runner's
    --list, the batch DAG's tasks and edges, and the run order all come from here."""
    needs = dependencies(scripts)
    return [Model(s, tuple(sorted(s.references())), tuple(sorted(s.creates())),
                  tuple(needs[s.path])) for s in dependency_order(scripts)]


def upstream_of(target: Script, scripts: list[Script]) -> list[Script]:
    """`target` and every script it depends on, in dependency order."""
    ordered = dependency_order(scripts)
    needs = dependencies(scripts)
    wanted = {target.path}
    for script in reversed(ordered):
        if script.path in wanted:
            wanted |= set(needs[script.path])
    return [s for s in ordered if s.path in wanted]
