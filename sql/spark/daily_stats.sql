-- daily_stats: events, distinct users and revenue per day and event type.
--
-- Computes: per (date, event_type): event_count, unique_users (distinct user_id) and revenue
--   (sum of prices of purchases; NULL on the view and add_to_cart rows, as in the seed).
-- Input: clean_events.
-- Output: daily_stats (lake only), partitioned by date. A run replaces the dates it has data for
--   and leaves the other dates alone: the seed's daily append, without its duplicates on a re-run.
-- Parameters: none.
-- @output daily_stats partition_by=date

CREATE OR REPLACE TEMPORARY VIEW daily_stats AS
SELECT
    event_type,
    date,
    count(*) AS event_count,
    count(DISTINCT user_id) AS unique_users,
    sum(CASE WHEN event_type = 'purchase' THEN cast(price AS DECIMAL(12, 2)) END) AS revenue
FROM clean_events
GROUP BY date, event_type;
