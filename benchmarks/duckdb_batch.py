"""The non-ML steps of the batch on DuckDB, the single-machine engine a user might pick instead.

A baseline for benchmarks/batch_benchmark.py, not part of the platform. The same definitions as
sql/spark (cleaning, baskets, popular products, segments, daily stats), in DuckDB's dialect,
writing Parquet. FPGrowth has no DuckDB counterpart and is left out.

    python benchmarks/duckdb_batch.py EVENTS_PATH OUT_PATH
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import duckdb

STEPS = {
    "clean_events": """
        CREATE TABLE clean_events AS
        SELECT user_id, session_id, product_id, category,
               lower(trim(event_type)) AS event_type, "timestamp",
               CAST(price AS DECIMAL(18, 2)) AS price,
               CAST(timezone('UTC', "timestamp") AS DATE) AS date
        FROM read_parquet('{events}/*.parquet')
        WHERE lower(trim(event_type)) IN ('view', 'add_to_cart', 'purchase')
          AND product_id IS NOT NULL AND user_id IS NOT NULL AND "timestamp" IS NOT NULL
          AND price IS NOT NULL AND NOT isnan(price) AND price BETWEEN 0 AND 1000000""",
    "purchase_baskets": """
        COPY (SELECT user_id, session_id, list_sort(list_distinct(list(product_id))) AS products,
                     count(product_id) AS item_count, sum(price) AS total_amount
              FROM clean_events WHERE event_type = 'purchase' GROUP BY user_id, session_id)
        TO '{out}/purchase_baskets.parquet' (FORMAT parquet)""",
    "popular_products": """
        COPY (WITH p AS (SELECT category, product_id, count(*) AS purchase_count,
                                CAST(avg(price) AS DECIMAL(18, 2)) AS avg_price
                         FROM clean_events WHERE event_type = 'purchase'
                         GROUP BY category, product_id)
              SELECT * FROM (SELECT *, rank() OVER (PARTITION BY category
                                                    ORDER BY purchase_count DESC) AS rank FROM p)
              WHERE rank <= 10)
        TO '{out}/popular_products.parquet' (FORMAT parquet)""",
    "user_segments": """
        COPY (WITH a AS (SELECT user_id, count_if(event_type = 'view') AS views,
                                count_if(event_type = 'add_to_cart') AS cart_adds,
                                count_if(event_type = 'purchase') AS purchases,
                                coalesce(sum(price) FILTER (event_type = 'purchase'), 0)
                                    AS total_spent
                         FROM clean_events GROUP BY user_id)
              SELECT *, CAST(purchases * 100.0 / nullif(views, 0) AS DECIMAL(18, 2))
                            AS conversion_rate,
                     CASE WHEN total_spent > 1000 THEN 'premium'
                          WHEN total_spent > 500 THEN 'regular' ELSE 'casual' END AS segment
              FROM a)
        TO '{out}/user_segments.parquet' (FORMAT parquet)""",
    "daily_stats": """
        COPY (SELECT date, event_type, count(*) AS event_count,
                     count(DISTINCT user_id) AS unique_users,
                     sum(price) FILTER (event_type = 'purchase') AS revenue
              FROM clean_events GROUP BY date, event_type)
        TO '{out}/daily_stats' (FORMAT parquet, PARTITION_BY (date), OVERWRITE_OR_IGNORE)""",
}


def main(events: str, out: str) -> None:
    Path(out).mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute("SET TimeZone = 'UTC'")
    timings = {}
    for name, sql in STEPS.items():
        t0 = time.monotonic()
        con.execute(sql.format(events=events, out=out))
        timings[name] = round(time.monotonic() - t0, 2)
    timings["total"] = round(time.monotonic() - started, 2)
    print("TIMINGS " + str(timings).replace("'", '"'))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(*sys.argv[1:])
