"""The lake's atomic replace: a failed write keeps the old table; a crash is recovered."""

import pytest

from runners.engines.lake import Lake


def table_rows(spark, path):
    return sorted(tuple(r) for r in spark.read.parquet(str(path)).collect())


def test_write_replaces_the_whole_table(spark, tmp_path):
    lake = Lake(spark, str(tmp_path))
    lake.write(spark.createDataFrame([(1, "a"), (2, "b")], "id INT, v STRING"), "t")
    result = lake.write(spark.createDataFrame([(3, "c")], "id INT, v STRING"), "t")
    assert table_rows(spark, tmp_path / "t") == [(3, "c")]
    assert sorted(tuple(r) for r in result.collect()) == [(3, "c")]
    assert not list((tmp_path / "_staging").iterdir())
    assert not list((tmp_path / "_trash").iterdir())


def test_failed_write_leaves_the_old_table(spark, tmp_path):
    lake = Lake(spark, str(tmp_path))
    lake.write(spark.createDataFrame([(1, "a")], "id INT, v STRING"), "t")
    failing = spark.sql("SELECT 2 AS id, raise_error('boom') AS v")
    with pytest.raises(Exception, match="boom"):
        Lake(spark, str(tmp_path)).write(failing, "t")
    assert table_rows(spark, tmp_path / "t") == [(1, "a")]


def test_crash_between_the_renames_is_recovered(spark, tmp_path):
    lake = Lake(spark, str(tmp_path))
    lake.write(spark.createDataFrame([(1, "a")], "id INT, v STRING"), "t")
    # A crash after the old folder went to the trash and before the new one arrived:
    (tmp_path / "_trash").mkdir(exist_ok=True)
    (tmp_path / "t").rename(tmp_path / "_trash" / "t-deadbeef0000.old")
    lake.recover("t")
    assert table_rows(spark, tmp_path / "t") == [(1, "a")]
    assert not list((tmp_path / "_trash").iterdir())


def test_lake_lists_tables_but_not_its_own_folders(spark, tmp_path):
    lake = Lake(spark, str(tmp_path))
    lake.write(spark.createDataFrame([(1,)], "id INT"), "b_table")
    lake.write(spark.createDataFrame([(1,)], "id INT"), "a_table")
    assert lake.tables() == ["a_table", "b_table"]


def test_partitioned_write_replaces_only_the_partitions_it_has(spark, tmp_path):
    lake = Lake(spark, str(tmp_path))
    schema = "id INT, day STRING"
    lake.write(spark.createDataFrame([(1, "d1"), (2, "d2")], schema), "t", ["day"])
    result = lake.write(spark.createDataFrame([(3, "d2"), (4, "d3")], schema), "t", ["day"])
    assert table_rows(spark, tmp_path / "t") == [(1, "d1"), (3, "d2"), (4, "d3")]
    assert sorted(tuple(r) for r in result.collect()) == [(1, "d1"), (3, "d2"), (4, "d3")]
    assert sorted(p.name for p in (tmp_path / "t").iterdir() if not p.name.startswith(("_", "."))) \
        == ["day=d1", "day=d2", "day=d3"]
    assert not list((tmp_path / "_staging").iterdir())
