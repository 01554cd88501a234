"""The contract of a folder of source files: a step that checks each Parquet file's columns and
types against the view that declares them, before anything reads the files.

Spark reads a file that lacks a declared column as NULLs, and widens some types silently, so a
file an upstream team changed would flow into the results. Called from a .sql file right after
the view that declares the source:

    -- @step runners.engines.file_contract.check reads=raw_events views=raw_events

It reads only the files' footers (with pyarrow, in this process, local or object-store paths
alike), and fails at the first file that breaks the contract, naming the file, the column and
both types. A column the view does not declare is allowed.
"""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa
import pyarrow.parquet as pq
from pyspark.sql import SparkSession
from pyspark.sql.types import (
    BooleanType,
    DataType,
    DateType,
    DecimalType,
    DoubleType,
    FloatType,
    IntegerType,
    LongType,
    StringType,
    TimestampNTZType,
    TimestampType,
)

from runners.engines.lake import filesystem_of


def _integer_of(bits: int) -> Callable[[pa.DataType], bool]:
    """Integers that fit a signed `bits`-bit integer."""
    def accepts(found: pa.DataType) -> bool:
        if not pa.types.is_integer(found):
            return False
        return found.bit_width <= bits if pa.types.is_signed_integer(found) \
            else found.bit_width < bits
    return accepts


# The Arrow types that hold each declared type without loss or reinterpretation.
ACCEPTS: dict[type[DataType], Callable[[pa.DataType], bool]] = {
    StringType: lambda t: pa.types.is_string(t) or pa.types.is_large_string(t),
    DoubleType: pa.types.is_float64,
    FloatType: pa.types.is_float32,
    LongType: _integer_of(64),
    IntegerType: _integer_of(32),
    BooleanType: pa.types.is_boolean,
    DateType: pa.types.is_date,
    # An instant: a timestamp adjusted to UTC. One without a time zone is a wall-clock time.
    TimestampType: lambda t: pa.types.is_timestamp(t) and t.tz is not None,
    TimestampNTZType: lambda t: pa.types.is_timestamp(t) and t.tz is None,
}


class ContractError(Exception):
    pass


def check(spark: SparkSession, *, views: str, dry_run: bool = False) -> None:
    """Each Parquet file that each of `views` (comma-separated) reads has the view's columns.
    A dry run checks the files it reads too (none: it reads empty folders)."""
    for view in (v.strip() for v in views.split(",") if v.strip()):
        table = spark.table(view)
        declared = table.schema
        for uri in sorted(table.inputFiles()):
            check_file(uri, view, declared)


def check_file(uri: str, view: str, declared) -> None:
    filesystem, path = filesystem_of(uri)
    try:
        schema = pq.read_schema(path, filesystem=filesystem)
    except (OSError, pa.ArrowInvalid) as error:
        raise ContractError(f"{path}: not a readable Parquet file ({error})") from error
    found = {field.name.lower(): field for field in schema}  # Spark matches names this way
    for column in declared.fields:
        declared_type = column.dataType.simpleString().upper()
        field = found.get(column.name.lower())
        if field is None:
            raise ContractError(f"{path}: no column {column.name} ({declared_type}), which "
                                f"{view} declares")
        accepts = ACCEPTS.get(type(column.dataType), _same_decimal(column.dataType))
        if not accepts(field.type):
            raise ContractError(f"{path}: column {column.name} is {field.type}, {view} declares "
                                f"{declared_type}")


def _same_decimal(declared: DataType) -> Callable[[pa.DataType], bool]:
    def accepts(found: pa.DataType) -> bool:
        return (isinstance(declared, DecimalType) and pa.types.is_decimal(found)
                and found.scale == declared.scale and found.precision <= declared.precision)
    return accepts

