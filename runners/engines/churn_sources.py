"""The churn pipeline's raw sources, as sql/spark/churn/churn_sources.sql declares them.

That file is the one declaration of each source: its view, its folder under the lake
(raw/<source>/), its columns and their types, and its data checks (`-- @check`). The
generator writes exactly those columns and types, the churn DAG checks the raw Parquet with
those checks, and Spark reads the files through those views.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from runners import CHECKOUT
from runners.engines import sqlscript
from runners.engines.checks import Check, checks_of

DECLARATION = CHECKOUT / "sql" / "spark" / "churn" / "churn_sources.sql"
ARROW_TYPES = {"STRING": "string", "DATE": "date32", "DOUBLE": "float64", "INT": "int32",
               "BIGINT": "int64", "BOOLEAN": "bool_", "TIMESTAMP": "timestamp"}
FOLDER = re.compile(r"/raw/([a-z_]+)/")


@dataclass(frozen=True)
class RawSource:
    name: str  # its folder: raw/<name>/<date>/
    view: str
    columns: tuple[tuple[str, str], ...]  # (name, SQL type), in order
    checks: tuple[Check, ...]

    @property
    def schema(self):
        """The columns as a pyarrow schema (imported here: the DAGs read the checks only)."""
        import pyarrow as pa

        def arrow(kind: str):
            return pa.timestamp("us", tz="UTC") if kind == "TIMESTAMP" else \
                getattr(pa, ARROW_TYPES[kind])()

        return pa.schema([pa.field(name, arrow(kind)) for name, kind in self.columns])


def raw_sources(path: Path = DECLARATION) -> dict[str, RawSource]:
    """Each source of the file, by folder name, in the file's order."""
    import sqlglot
    from sqlglot import exp

    script = sqlscript.load(path)
    checks = checks_of(script)
    found = {}
    for statement in script.statements:
        tree = sqlglot.parse_one(sqlscript.VARIABLE.sub(r"\1", statement.text), dialect="spark")
        folder = FOLDER.search(statement.text)
        if not isinstance(tree, exp.Create) or not isinstance(tree.this, exp.Schema) or \
                not folder:
            raise sqlscript.ScriptError(path, statement.line,
                                        "declare a source as CREATE VIEW name (columns) "
                                        "USING PARQUET OPTIONS (path '.../raw/<source>/...')")
        view = tree.this.this.name
        fields = []
        for column in tree.this.expressions:
            kind = column.args["kind"].sql(dialect="spark").upper()
            if kind not in ARROW_TYPES:
                raise sqlscript.ScriptError(path, statement.line,
                                            f"{view}.{column.name}: no Parquet type for {kind}")
            fields.append((column.name, kind))
        found[folder.group(1)] = RawSource(folder.group(1), view, tuple(fields),
                                           tuple(c for c in checks if c.table == view))
    return found
