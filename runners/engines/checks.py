"""Data checks declared beside the model they check, in the spirit of dbt's data_tests.

A SQL file declares checks of the tables it creates with `-- @check` lines:

    -- @check user_segments.user_id not_null
    -- @check user_segments.user_id unique
    -- @check user_segments.segment accepted_values premium,regular,casual
    -- @check raw_customers.age accepted_range 18..120      (inclusive; 0.. or ..5 for one side)
    -- @check raw_customers.plan null_rate_at_most ${max_null_rate}
    -- @check association_rules expression lift > ${min_lift}

A check holds when no row breaks it. As in dbt, accepted_values and accepted_range let NULL
pass (not_null is the check for NULLs), unique ignores NULLs, and an expression must be true
(NULL breaks it). null_rate_at_most bounds the share of NULLs in the column. Arguments read the
file's ${parameters}, so a check follows the value a run used: `--var min_support=0.02`
moves fpgrowth.sql's rule and its check together.

`runners/spark_sql.py --check` runs them on Spark after each file; the batch DAG turns the
checks of published tables into common-sql check operators on the warehouse.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from runners.engines import sqlscript
from runners.engines.sqlscript import Script, ScriptError

KINDS = ("not_null", "unique", "accepted_values", "accepted_range", "null_rate_at_most",
         "expression")
WITH_ARGUMENT = ("accepted_values", "accepted_range", "null_rate_at_most", "expression")


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
        (`lift > ${min_lift}` is lift_gt_min_lift)."""
        if self.kind == "null_rate_at_most":
            return f"{self.column}_null_rate"
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

    def value(self, text: str, values: Mapping[str, str]) -> str:
        """A number of the argument, ${parameters} filled in."""
        return sqlscript.substitute(text.strip(), values, path=self.path, line=self.line)

    def bounds(self, values: Mapping[str, str]) -> tuple[str | None, str | None]:
        low, _, high = self.argument.partition("..")
        return (self.value(low, values) if low.strip() else None,
                self.value(high, values) if high.strip() else None)

    def condition(self, values: Mapping[str, str]) -> str:
        """A SQL boolean that every row must satisfy (not for unique and null_rate_at_most)."""
        if self.kind == "not_null":
            return f"{self.column} IS NOT NULL"
        if self.kind == "accepted_values":
            accepted = ", ".join("'" + v.replace("'", "''") + "'"
                                 for v in self.argument.split(","))
            return f"({self.column} IS NULL OR {self.column} IN ({accepted}))"
        if self.kind == "accepted_range":
            low, high = self.bounds(values)
            within = [f"{self.column} >= {low}"] * (low is not None) + \
                [f"{self.column} <= {high}"] * (high is not None)
            return f"({self.column} IS NULL OR ({' AND '.join(within)}))"
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
        if self.kind == "null_rate_at_most":  # the NULLs, when there are too many
            nulls = f"count(*) - count({self.column})"
            return (f"SELECT CASE WHEN {self.null_rate_holds(values)} THEN 0 ELSE {nulls} END "
                    f"FROM {self.table}")
        return (f"SELECT count(*) FROM {self.table} "
                f"WHERE NOT coalesce({self.condition(values)}, false)")


    def null_rate_holds(self, values: Mapping[str, str]) -> str:
        """An aggregate SQL boolean: the column's NULLs are at most the share allowed."""
        return (f"count(*) - count({self.column}) <= "  # mutants: gate
                f"{self.value(self.argument, values)} * count(*)")


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
        if (kind in WITH_ARGUMENT) != bool(argument):
            raise ScriptError(script.path, directive.line,
                              f"@check {target} {kind}: "
                              + ("needs an argument" if not argument else "takes no argument"))
        if kind == "accepted_range" and (".." not in argument or argument.strip() == ".."):
            raise ScriptError(script.path, directive.line,
                              f"@check {target} accepted_range: write LOW..HIGH, LOW.. or ..HIGH")
        found.append(Check(script.path, directive.line, table, column or None, kind, argument))
    return found


def column_mapping(checks: list[Check], values: Mapping[str, str]) -> dict[str, dict]:
    """SQLColumnCheckOperator's column_mapping: not_null, unique and accepted_range (whose
    min and max, like the operator's, let NULL pass)."""
    operator_check = {"not_null": "null_check", "unique": "unique_check"}
    mapping: dict[str, dict] = {}
    for check in checks:
        if check.kind in operator_check:
            mapping.setdefault(check.column, {})[operator_check[check.kind]] = {"equal_to": 0}
        elif check.kind == "accepted_range":
            low, high = check.bounds(values)
            column = mapping.setdefault(check.column, {})
            if low is not None:
                column["min"] = {"geq_to": float(low)}
            if high is not None:
                column["max"] = {"leq_to": float(high)}
    return mapping


def table_statements(checks: list[Check], values: Mapping[str, str]) -> dict[str, dict]:
    """SQLTableCheckOperator's checks: accepted_values, null_rate_at_most and expression."""
    statements = {}
    for check in checks:
        if check.kind in ("accepted_values", "expression"):
            statements[check.name] = {"check_statement": "count(*) = count(CASE WHEN "
                                                         f"{check.condition(values)} THEN 1 END)"}
        elif check.kind == "null_rate_at_most":
            statements[check.name] = {"check_statement": check.null_rate_holds(values)}
    return statements
