"""The lake: one Parquet folder per table under lake_path, replaced by a swap of two renames.

A table is written to `<lake>/_staging/<table>-<run>` first. Then the old folder is renamed to
`<lake>/_trash/`, the new one into its place, and the old one deleted. What a reader sees:
- On a local (POSIX) file system each rename is atomic, so a reader never reads a half-written
  table. Between the two renames, a few microseconds, the table's folder does not exist: a
  reader that lists it then fails (path not found) rather than read wrong rows, and a reader
  that listed the old files before the swap fails when it opens one after the delete. Such a
  reader must retry; nothing here makes it wait.
- On an object store (S3, GCS) a folder is a key prefix, and a "rename" copies every object and
  then deletes the originals: a reader during the swap can see part of the new table, or part
  of the old one. There the lake is safe only when nothing reads a table while it is written.
  Table formats do this with real commits (Delta Lake, Iceberg); issue 25 plans that.
- A crash between the two renames leaves the old folder in `<lake>/_trash/`, and the next write
  of that table puts it back before doing anything else, so nothing is lost.

A table with partition columns replaces only the partitions the new data has, the idempotent form
of the seed's daily append: re-running a day replaces that day, and other days stay. Each
partition is swapped on its own, so a reader can see some partitions new and others old.

The folder operations (list, rename, delete) go through pyarrow.fs, in this process: it handles
local folders and object-store or HDFS URIs alike, and it works the same whether Spark runs
in-process or behind Spark Connect, which has no JVM handle. The data itself is read and written
by Spark.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from urllib.parse import unquote, urlparse

from pyarrow import fs
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import StructType

HIDDEN_PREFIXES = ("_", ".")
# Source files land under raw/<source>/<date>/ (the seed's layout); that folder is not a table.
LANDING_ZONE = "raw"
# Parquet without dictionary pages. The writer builds a dictionary of each column chunk and, for
# the many-valued ids (user, session, product), drops it when it outgrows its page: a third of
# the time of writing purchases, and 10% of the batch at 10M events (benchmarks/). The files are
# about 40% larger; reading them is as fast.
WRITE_OPTIONS = {"parquet.enable.dictionary": "false"}


def filesystem_of(location: str) -> tuple[fs.FileSystem, str]:
    """pyarrow's file system for a folder or a URI as Spark names it (a local path, file:/...,
    s3a://..., hdfs://...), and the path within it."""
    parsed = urlparse(location)
    if parsed.scheme in ("", "file"):
        return fs.LocalFileSystem(), unquote(parsed.path)
    if parsed.scheme == "s3a":  # Hadoop's name for S3
        location = "s3://" + location[len("s3a://"):]
    return fs.FileSystem.from_uri(location)


class Lake:
    def __init__(self, spark: SparkSession, root: str):
        self.spark = spark
        if "://" not in root:  # a local folder: absolute, so a Spark server reads the same one
            root = os.path.abspath(root)
        self.root = root.rstrip("/")
        self.fs, self._base = filesystem_of(self.root)
        self.run_id = uuid.uuid4().hex[:12]

    def path(self, table: str) -> str:
        return f"{self.root}/{table}"

    def tables(self) -> list[str]:
        """Tables present in the lake, by folder name."""
        return sorted(name for name, is_dir in self._list(self.root)
                      if is_dir and not name.startswith(HIDDEN_PREFIXES) and name != LANDING_ZONE)

    def read(self, table: str, schema: StructType | None = None) -> DataFrame:
        reader = self.spark.read
        if schema is not None:
            reader = reader.schema(schema)
        return reader.parquet(self.path(table))

    def write(self, df: DataFrame, table: str, partition_by: Sequence[str] = ()) -> DataFrame:
        """Replace `table` (or its partitions) with `df`; return a DataFrame reading the result."""
        self.recover(table)
        staged = f"{self.root}/_staging/{table}-{self.run_id}"
        writer = df.write.mode("overwrite").options(**WRITE_OPTIONS)
        if partition_by:
            writer = writer.partitionBy(*partition_by)
        writer.parquet(staged)
        if partition_by:
            self.fs.create_dir(self._fs_path(self.path(table)), recursive=True)
            for name, is_dir in self._list(staged):
                if is_dir and not name.startswith(HIDDEN_PREFIXES):
                    self._swap(f"{self.path(table)}/{name}", f"{staged}/{name}", f"{table}-{name}")
            self.fs.delete_dir(self._fs_path(staged))
        else:
            self._swap(self.path(table), staged, table)
        fields = [f for f in df.schema.fields if f.name not in partition_by]
        fields += [f for f in df.schema.fields if f.name in partition_by]
        return self.read(table, StructType(fields))

    def recover(self, table: str) -> None:
        """Put back a table folder that a crash left in _trash between the two renames."""
        for name, _ in self._list(f"{self.root}/_trash"):
            if not name.startswith(f"{table}-") or not name.endswith(".old"):
                continue
            trashed = f"{self.root}/_trash/{name}"
            original = self._original_of(name[: -len(".old")], table)
            if not self._exists(original):
                self.fs.move(self._fs_path(trashed), self._fs_path(original))
            else:
                self.fs.delete_dir(self._fs_path(trashed))

    def _original_of(self, trash_stem: str, table: str) -> str:
        # Trash names are <table>-<partition>-<run>.old or <table>-<run>.old.
        partition = trash_stem[len(table) + 1:].rpartition("-")[0]
        return f"{self.path(table)}/{partition}" if partition else self.path(table)

    def _swap(self, current: str, staged: str, label: str) -> None:
        trash = f"{self.root}/_trash/{label}-{self.run_id}.old"
        had_current = self._exists(current)
        if had_current:
            self.fs.create_dir(self._fs_path(f"{self.root}/_trash"), recursive=True)
            try:
                self.fs.move(self._fs_path(current), self._fs_path(trash))
            except OSError as error:
                raise OSError(f"lake: could not move {current} aside: {error}") from error
        try:
            self.fs.move(self._fs_path(staged), self._fs_path(current))
        except OSError as error:
            if had_current:
                self.fs.move(self._fs_path(trash), self._fs_path(current))
            raise OSError(f"lake: could not move {staged} to {current}: {error}") from error
        if had_current:
            self.fs.delete_dir(self._fs_path(trash))

    def _fs_path(self, path: str) -> str:
        """A lake path (under self.root) as the file system names it."""
        return self._base + path[len(self.root):]

    def _exists(self, path: str) -> bool:
        return self.fs.get_file_info(self._fs_path(path)).type != fs.FileType.NotFound

    def _list(self, folder: str) -> list[tuple[str, bool]]:
        """(name, is a folder) of each entry of `folder`; nothing if it does not exist."""
        selector = fs.FileSelector(self._fs_path(folder), allow_not_found=True)
        return [(info.base_name, info.type == fs.FileType.Directory)
                for info in self.fs.get_file_info(selector)]
