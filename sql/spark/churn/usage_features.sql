-- usage_features: how much each customer used the product, over 30 days and over the last 7.
--
-- Computes: per customer_id with any usage: active_days (days with a usage row), sessions,
--   minutes_used, features_used (the most features on one day), and last_7_days_active and
--   last_7_days_minutes, the same over the 7 days ending on ${snapshot_date}: a customer who is
--   fading shows it there first.
-- Input: raw_product_usage, the 30 days before the snapshot.
-- Output: usage_features (a view).
-- Parameters: snapshot_date, the snapshot day (YYYY-MM-DD).
-- @param snapshot_date = 2026-01-01
-- Edges: a customer with no usage has no row here; churn_features counts them as 0.

CREATE OR REPLACE TEMPORARY VIEW usage_features AS
SELECT
    customer_id,
    count(DISTINCT usage_date) AS active_days,
    sum(sessions) AS sessions,
    sum(minutes_used) AS minutes_used,
    max(features_used) AS features_used,
    count(
        DISTINCT CASE
            WHEN usage_date > date_sub(DATE '${snapshot_date}', 7) THEN usage_date
        END
    ) AS last_7_days_active,
    coalesce(
        sum(CASE WHEN usage_date > date_sub(DATE '${snapshot_date}', 7) THEN minutes_used END),
        0
    ) AS last_7_days_minutes
FROM raw_product_usage
WHERE usage_date <= DATE '${snapshot_date}'
GROUP BY customer_id;
