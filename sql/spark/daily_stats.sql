-- daily_stats: events, distinct users and revenue per day and event type.
--
-- Computes: per (date, event_type): event_count, unique_users (distinct user_id) and revenue
--   (sum of prices of purchases; NULL on the view and add_to_cart rows, as in the seed).
-- Input: user_day_activity: one row per user and day, so its rows with events of a type count
--   the distinct users of that type. A type without events on a date has no row, as in the seed.
-- Output: daily_stats (lake only), partitioned by date. A run replaces the dates it has data for
--   and leaves the other dates alone: the seed's daily append, without its duplicates on a re-run.
-- Parameters: none.
-- @output daily_stats partition_by=date

CREATE OR REPLACE TEMPORARY VIEW daily_stats AS
WITH day_totals AS (
    SELECT
        date,
        sum(views) AS view_events,
        count_if(views > 0) AS view_users,
        sum(cart_adds) AS cart_add_events,
        count_if(cart_adds > 0) AS cart_add_users,
        sum(purchases) AS purchase_events,
        count_if(purchases > 0) AS purchase_users,
        sum(revenue) AS revenue
    FROM user_day_activity
    GROUP BY date
),

type_totals AS (
    SELECT
        date,
        revenue,
        stack(
            3,
            'view', view_events, view_users,
            'add_to_cart', cart_add_events, cart_add_users,
            'purchase', purchase_events, purchase_users
        ) AS (event_type, event_count, unique_users)
    FROM day_totals
)

SELECT
    event_type,
    date,
    event_count,
    unique_users,
    CASE WHEN event_type = 'purchase' THEN revenue END AS revenue
FROM type_totals
WHERE event_count > 0;
