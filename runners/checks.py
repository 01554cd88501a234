"""Data checks declared beside the model they check, in the spirit of dbt's data_tests.

A SQL file declares checks of the tables it creates with `-- @check` lines:

    -- @check user_segments.user_id not_null
    -- @check user_segments.user_id unique
    -- @check user_segments.segment accepted_values premium,regular,casual
    -- @check product_recommendations expression confidence > ${min_confidence}

A check holds when no row breaks it. A NULL breaks not_null, accepted_values and expression
(an expression that is NULL is not true); unique counts values that appear more than once and
ignores NULLs, as SQL's UNIQUE does. An expression reads the file's ${parameters}, so a check
follows the value a run used: `--var min_confidence=0.4` moves the rule and its check together.

`runners/spark_sql.py --check` runs them on Spark after each file; the batch DAG turns the
checks of published tables into common-sql check operators on the warehouse.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from runners import sqlscript
from runners.sqlscript import Script, ScriptError

KINDS = ("not_null", "unique", "accepted_values", "expression")


@dataclass(frozen=True)
class Check:
    path: Path
    line: int
    table: str
    column: str | None
    kind: str
    argument: str = ""

    @property
    def name(self) -> str:
        """The check's name in the DAG: column_kind, or the expression spelled out in words
        (`confidence > ${min_confidence}` is confidence_gt_min_confidence)."""
        if self.kind != "expression":
            return f"{self.column}_{self.kind}"
        words = self.argument.lower()
        for sign, word in ((">=", " ge "), ("<=", " le "), ("<>", " ne "), ("!=", " ne "),
                           (">", " gt "), ("<", " lt "), ("=", " eq ")):
            words = words.replace(sign, word)
        return "_".join(re.findall(r"[a-z0-9]+", words.replace("${", " ")))

    def describe(self) -> str:
        target = f"{self.table}.{self.column}" if self.column else self.table
        return " ".join(filter(None, (target, self.kind, self.argument)))

    def condition(self, values: Mapping[str, str]) -> str:
        """A SQL boolean that every row must satisfy (not for unique)."""
        if self.kind == "not_null":
            return f"{self.column} IS NOT NULL"
        if self.kind == "accepted_values":
            accepted = ", ".join("'" + v.replace("'", "''") + "'"
                                 for v in self.argument.split(","))
            return f"{self.column} IN ({accepted})"
        if self.kind == "expression":
            return "(" + sqlscript.substitute(self.argument, values, path=self.path,
                                              line=self.line) + ")"
        raise ValueError(f"{self.kind} has no row condition")

    def failures_sql(self, values: Mapping[str, str]) -> str:
        """A query of one number: the rows (for unique, the values) that break the check."""
        if self.kind == "unique":
            return (f"SELECT count(*) FROM (SELECT {self.column} FROM {self.table} "
                    f"WHERE {self.column} IS NOT NULL GROUP BY {self.column} "
                    f"HAVING count(*) > 1) AS repeated")
        return (f"SELECT count(*) FROM {self.table} "
                f"WHERE NOT coalesce({self.condition(values)}, false)")


def checks_of(script: Script) -> list[Check]:
    """The file's @check declarations, each of a table the file creates."""
    found = []
    for directive in script.items:
        if not isinstance(directive, sqlscript.Directive) or directive.kind != "check":
            continue
        if len(directive.args) < 2 or directive.args[1] not in KINDS:
            raise ScriptError(script.path, directive.line,
                              f"write @check table[.column] KIND [argument], KIND one of "
                              f"{', '.join(KINDS)}")
        target, kind, *rest = directive.args
        table, _, column = target.partition(".")
        argument = rest[0] if rest else ""
        if table.lower() not in script.creates():
            raise ScriptError(script.path, directive.line,
                              f"@check {table}: this file does not create {table}")
        if (kind == "expression") == bool(column):
            raise ScriptError(script.path, directive.line,
                              f"@check {target} {kind}: " + ("an expression checks a table, "
                                                             "the others a column"))
        if (kind in ("accepted_values", "expression")) != bool(argument):
            raise ScriptError(script.path, directive.line,
                              f"@check {target} {kind}: "
                              + ("needs an argument" if not argument else "takes no argument"))
        found.append(Check(script.path, directive.line, table, column or None, kind, argument))
    return found


def column_mapping(checks: list[Check]) -> dict[str, dict]:
    """SQLColumnCheckOperator's column_mapping for the not_null and unique checks."""
    operator_check = {"not_null": "null_check", "unique": "unique_check"}
    mapping: dict[str, dict] = {}
    for check in checks:
        if check.kind in operator_check:
            mapping.setdefault(check.column, {})[operator_check[check.kind]] = {"equal_to": 0}
    return mapping


def table_statements(checks: list[Check], values: Mapping[str, str]) -> dict[str, dict]:
    """SQLTableCheckOperator's checks for the row conditions (accepted_values, expression)."""
    return {check.name: {"check_statement": "count(*) = count(CASE WHEN "
                                            f"{check.condition(values)} THEN 1 END)"}
            for check in checks if check.kind in ("accepted_values", "expression")}
