-- segment_sizes: how many users each spending segment holds, and what they spent.
--
-- Computes: per segment of sql/spark/segments.sql (premium, regular, casual), the users in it,
--   their share of all users in percent (one decimal), and their total spending.
-- Inputs: ${lake_path}/user_segments (Parquet, from sql/spark/segments.sql).
-- Outputs: one row per segment present: segment, user_count, share_pct, total_spent; ordered
--   premium, regular, casual (any other value last, by name).
-- Parameters: lake_path (from the profile).
-- Runs in DuckDB (runners/report/report.py).

WITH segmented_users AS (
    SELECT
        segment,
        total_spent
    FROM read_parquet('${lake_path}/user_segments/*.parquet')
)

SELECT
    segment,
    count(*) AS user_count,
    round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS share_pct,
    sum(total_spent) AS total_spent
FROM segmented_users
GROUP BY segment
ORDER BY
    CASE segment WHEN 'premium' THEN 1 WHEN 'regular' THEN 2 WHEN 'casual' THEN 3 ELSE 4 END,
    segment;
