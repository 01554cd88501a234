"""Make the archive of the classes Spark's driver loads at start-up (JDK AppCDS), once.

    python runners/engines/spark_class_archive.py        # make setup runs it

A Spark start spends most of its 11 s loading and verifying classes. With this archive (about
150 MB in build/) the JVM maps them instead: measured here, start plus first query 14.6 s ->
9.3 s. spark_sql.spark_conf uses the archive when it exists; a JVM that finds it made for
another JDK or classpath ignores it and starts as before, so a stale archive costs only time.
"""

from __future__ import annotations

import sys
import tempfile

from runners import CHECKOUT  # noqa: E402

if str(CHECKOUT) not in sys.path:  # run as a script
    sys.path.insert(0, str(CHECKOUT))

from runners.engines.spark_sql import CLASS_ARCHIVE, spark_conf, start_spark  # noqa: E402
from runners.profiles import load_profile  # noqa: E402


def main() -> int:
    CLASS_ARCHIVE.unlink(missing_ok=True)
    CLASS_ARCHIVE.parent.mkdir(parents=True, exist_ok=True)
    conf = spark_conf(load_profile("local"), "local[2]")
    options = conf["spark.driver.extraJavaOptions"].replace(
        f"-XX:SharedArchiveFile={CLASS_ARCHIVE}", "")
    # (With -Xlog:cds=off the JVM wrote no archive here: it lists the classes it leaves out.)
    conf["spark.driver.extraJavaOptions"] = f"{options} -XX:ArchiveClassesAtExit={CLASS_ARCHIVE}"
    spark = start_spark(conf)
    # What every batch does: read and write Parquet, aggregate, rank in a window.
    with tempfile.TemporaryDirectory() as folder:
        spark.range(1000).selectExpr("id % 7 AS k", "id AS v").write.parquet(f"{folder}/t")
        spark.read.parquet(f"{folder}/t").createOrReplaceTempView("t")
        spark.sql("SELECT k, sum(v) AS s, rank() OVER (ORDER BY sum(v) DESC) AS r "
                  "FROM t GROUP BY k").collect()
    jvm = spark.sparkContext._gateway.proc
    spark.stop()
    # The JVM writes the archive as it exits, which it does when its stdin closes: wait for it.
    jvm.stdin.close()
    jvm.wait(timeout=300)
    if not CLASS_ARCHIVE.is_file():
        print(f"no archive written to {CLASS_ARCHIVE}", file=sys.stderr)
        return 1
    print(f"wrote {CLASS_ARCHIVE} ({CLASS_ARCHIVE.stat().st_size / 1e6:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
