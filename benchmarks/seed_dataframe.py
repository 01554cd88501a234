"""The seed's PySpark program, in our own formulation, with only the fixes it needs to survive.

A baseline for benchmarks/batch_benchmark.py, not part of the platform. It keeps the seed's shape
(every output recomputes the cleaned events from the raw files; FPGrowth's itemsets are shown,
then mined again for the rules) and writes the seed's outputs: three tables over JDBC and
daily_stats as Parquet. The fixes: a basket lists a product once, conversion_rate divides safely
into a wide decimal, and daily_stats overwrites its dates instead of appending duplicates.

    python benchmarks/seed_dataframe.py EVENTS_PATH LAKE_PATH JDBC_URL
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def main(events_path: str, lake_path: str, warehouse_url: str) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from pyspark.ml.fpm import FPGrowth
    from pyspark.sql import functions as F
    from pyspark.sql.window import Window

    from runners.engines.spark_sql import spark_conf, start_spark
    from runners.engines.warehouse import parse_url
    from runners.profiles import load_profile

    started = time.monotonic()
    conf = spark_conf(load_profile("local"), None)
    conf["spark.sql.sources.partitionOverwriteMode"] = "dynamic"
    spark = start_spark(conf)
    ready = time.monotonic()
    target = parse_url(warehouse_url)
    jdbc = {"driver": "org.postgresql.Driver", "user": target.user or "",
            "password": os.environ.get("PGPASSWORD", "")}

    clickstream = spark.read.parquet(events_path)
    cleaned = (clickstream
               .filter(F.col("event_type").isin("view", "add_to_cart", "purchase"))
               .filter(F.col("product_id").isNotNull())
               .withColumn("date", F.col("timestamp").cast("date")))

    user_purchases = (cleaned.filter(F.col("event_type") == "purchase")
                      .groupBy("user_id", "session_id")
                      .agg(F.array_distinct(F.collect_list("product_id")).alias("products"),
                           F.count("product_id").alias("item_count"),
                           F.sum("price").alias("total_amount")))
    phases = {"spark_start": round(ready - started, 2)}

    def phase(name: str, t0: float) -> None:
        phases[name] = round(time.monotonic() - t0, 2)

    t0 = time.monotonic()
    model = FPGrowth(itemsCol="products", minSupport=0.01, minConfidence=0.3).fit(user_purchases)
    phase("fpgrowth_fit", t0)
    t0 = time.monotonic()
    model.freqItemsets.orderBy(F.desc("freq")).show(20)
    phase("itemsets_show", t0)
    recommendations = (model.associationRules
                       .withColumn("confidence_pct", (F.col("confidence") * 100).cast("int"))
                       .filter(F.col("confidence") > 0.5)
                       .orderBy(F.desc("confidence")))

    popularity = (cleaned.filter(F.col("event_type") == "purchase")
                  .groupBy("category", "product_id")
                  .agg(F.count("*").alias("purchase_count"), F.avg("price").alias("avg_price")))
    ranked = (popularity
              .withColumn("rank", F.rank().over(
                  Window.partitionBy("category").orderBy(F.desc("purchase_count"))))
              .filter(F.col("rank") <= 10))

    segments = (cleaned.groupBy("user_id")
                .agg(F.count(F.when(F.col("event_type") == "view", 1)).alias("views"),
                     F.count(F.when(F.col("event_type") == "add_to_cart", 1)).alias("cart_adds"),
                     F.count(F.when(F.col("event_type") == "purchase", 1)).alias("purchases"),
                     F.sum(F.when(F.col("event_type") == "purchase", F.col("price")))
                     .alias("total_spent"))
                .withColumn("conversion_rate",
                            F.try_divide(F.col("purchases") * 100, F.col("views"))
                            .cast("decimal(18,2)"))
                .withColumn("segment",
                            F.when(F.col("total_spent") > 1000, "premium")
                            .when(F.col("total_spent") > 500, "regular")
                            .otherwise("casual")))

    for df, table in ((recommendations, "product_recommendations"),
                      (ranked, "popular_products"), (segments, "user_segments")):
        t0 = time.monotonic()
        df.write.mode("overwrite").jdbc(target.jdbc_url, f"seed_{table}", properties=jdbc)
        phase(table, t0)

    daily = (cleaned.groupBy("date", "event_type")
             .agg(F.count("*").alias("event_count"),
                  F.countDistinct("user_id").alias("unique_users"),
                  F.sum(F.when(F.col("event_type") == "purchase", F.col("price")))
                  .alias("revenue")))
    t0 = time.monotonic()
    daily.write.mode("overwrite").partitionBy("date").parquet(f"{lake_path}/daily_stats")
    phase("daily_stats", t0)
    print("Analysis completed successfully!")
    spark.stop()
    phases["total"] = round(time.monotonic() - started, 2)
    print("TIMINGS " + json.dumps(phases))


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
