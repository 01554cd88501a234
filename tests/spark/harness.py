"""Run one SQL model of sql/spark on given input rows and read back its outputs, dbt-style."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

from runners.engines import sqlscript
from runners.engines.spark_sql import RunOptions, SparkSqlRunner

SQL_SPARK = Path(__file__).resolve().parents[2] / "sql" / "spark"


def run_model(spark, name: str | list[str], lake: Path, inputs: dict | None = None,
              variables: dict[str, str] | None = None):
    """Register `inputs` ({view: DataFrame}) as views; run sql/spark/<name>.sql (or several)."""
    for catalog_view in spark.catalog.listTables():
        if catalog_view.isTemporary:
            spark.catalog.dropTempView(catalog_view.name)
    for view, df in (inputs or {}).items():
        df.createOrReplaceTempView(view)
    names = [name] if isinstance(name, str) else name
    scripts = [sqlscript.load(SQL_SPARK / f"{n}.sql") for n in names]
    options = RunOptions(variables={"lake_path": str(lake), **(variables or {})},
                         upstream=False, publish=False, echo=False)
    return SparkSqlRunner(spark).run(scripts, options)


def rows(spark, lake: Path, table: str, columns: list[str]) -> list[tuple]:
    """The lake table's rows as sorted tuples of the given columns."""
    return sorted_rows(spark.read.parquet(str(lake / table)).select(*columns))


def view_rows(spark, view: str, columns: list[str]) -> list[tuple]:
    """A view's rows (a model that writes nothing) as sorted tuples of the given columns."""
    return sorted_rows(spark.table(view).select(*columns))


def sorted_rows(df) -> list[tuple]:
    return sorted((tuple(r) for r in df.collect()), key=_sort_key)


def _sort_key(row: tuple) -> tuple:
    return tuple((v is None, _comparable(v)) for v in row)


def _comparable(value):
    if value is None:
        return ""
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if isinstance(value, Decimal | float | int):
        return float(value)
    return str(value)
