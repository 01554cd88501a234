-- daily_stats: events, distinct users and revenue per day and event type.
--
-- Computes: per (date, event_type): event_count, unique_users (distinct user_id) and revenue
--   (sum of prices of purchases; NULL on the view and add_to_cart rows, as in the seed).
-- Input: user_day_activity: one row per user, day and type, so its rows count distinct users.
-- Output: daily_stats (lake only), partitioned by date. A run replaces the dates it has data for
--   and leaves the other dates alone: the seed's daily append, without its duplicates on a re-run.
-- Parameters: none.
-- @output daily_stats partition_by=date

CREATE OR REPLACE TEMPORARY VIEW daily_stats AS
SELECT
    event_type,
    date,
    sum(events) AS event_count,
    count(*) AS unique_users,
    sum(revenue) AS revenue
FROM user_day_activity
GROUP BY date, event_type;
