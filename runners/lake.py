"""The lake: one Parquet folder per table under lake_path, replaced atomically.

A table is written to `<lake>/_staging/<table>-<run>` first, then swapped in with two renames.
A reader sees the old folder or the new one, never a half-written one. A crash between the two
renames leaves the old folder in `<lake>/_trash/`, and the next write of that table puts it back
before doing anything else, so nothing is lost.

A table with partition columns replaces only the partitions the new data has, the idempotent form
of the seed's daily append: re-running a day replaces that day, and other days stay.

The file system is Hadoop's, through Spark, so a lake on HDFS or an object store works the same.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import StructType

HIDDEN_PREFIXES = ("_", ".")
# Source files land under raw/<source>/<date>/ (the seed's layout); that folder is not a table.
LANDING_ZONE = "raw"


class Lake:
    def __init__(self, spark: SparkSession, root: str):
        self.spark = spark
        self.root = root.rstrip("/")
        jvm = spark._jvm
        self._Path = jvm.org.apache.hadoop.fs.Path
        self.fs = self._Path(self.root).getFileSystem(spark._jsc.hadoopConfiguration())
        self.run_id = uuid.uuid4().hex[:12]

    def path(self, table: str) -> str:
        return f"{self.root}/{table}"

    def tables(self) -> list[str]:
        """Tables present in the lake, by folder name."""
        root = self._Path(self.root)
        if not self.fs.exists(root):
            return []
        return sorted(
            status.getPath().getName() for status in self.fs.listStatus(root)
            if status.isDirectory() and not status.getPath().getName().startswith(HIDDEN_PREFIXES)
            and status.getPath().getName() != LANDING_ZONE
        )

    def read(self, table: str, schema: StructType | None = None) -> DataFrame:
        reader = self.spark.read
        if schema is not None:
            reader = reader.schema(schema)
        return reader.parquet(self.path(table))

    def write(self, df: DataFrame, table: str, partition_by: Sequence[str] = ()) -> DataFrame:
        """Replace `table` (or its partitions) with `df`; return a DataFrame reading the result."""
        self.recover(table)
        staged = f"{self.root}/_staging/{table}-{self.run_id}"
        writer = df.write.mode("overwrite")
        if partition_by:
            writer = writer.partitionBy(*partition_by)
        writer.parquet(staged)
        if partition_by:
            self._mkdirs(self.path(table))
            for status in self.fs.listStatus(self._Path(staged)):
                name = status.getPath().getName()
                if status.isDirectory() and not name.startswith(HIDDEN_PREFIXES):
                    self._swap(f"{self.path(table)}/{name}", f"{staged}/{name}", f"{table}-{name}")
            self.fs.delete(self._Path(staged), True)
        else:
            self._swap(self.path(table), staged, table)
        fields = [f for f in df.schema.fields if f.name not in partition_by]
        fields += [f for f in df.schema.fields if f.name in partition_by]
        return self.read(table, StructType(fields))

    def recover(self, table: str) -> None:
        """Put back a table folder that a crash left in _trash between the two renames."""
        trash = self._Path(f"{self.root}/_trash")
        if not self.fs.exists(trash):
            return
        for status in self.fs.listStatus(trash):
            name = status.getPath().getName()
            if not name.startswith(f"{table}-") or not name.endswith(".old"):
                continue
            original = self._original_of(name[: -len(".old")], table)
            if not self.fs.exists(self._Path(original)):
                self.fs.rename(status.getPath(), self._Path(original))
            else:
                self.fs.delete(status.getPath(), True)

    def _original_of(self, trash_stem: str, table: str) -> str:
        # Trash names are <table>-<partition>-<run>.old or <table>-<run>.old.
        partition = trash_stem[len(table) + 1:].rpartition("-")[0]
        return f"{self.path(table)}/{partition}" if partition else self.path(table)

    def _swap(self, current: str, staged: str, label: str) -> None:
        current_path, staged_path = self._Path(current), self._Path(staged)
        trash = self._Path(f"{self.root}/_trash/{label}-{self.run_id}.old")
        had_current = self.fs.exists(current_path)
        if had_current:
            self._mkdirs(f"{self.root}/_trash")
            if not self.fs.rename(current_path, trash):
                raise OSError(f"lake: could not move {current} aside")
        if not self.fs.rename(staged_path, current_path):
            if had_current:
                self.fs.rename(trash, current_path)
            raise OSError(f"lake: could not move {staged} to {current}")
        if had_current:
            self.fs.delete(trash, True)

    def _mkdirs(self, path: str) -> None:
        self.fs.mkdirs(self._Path(path))
