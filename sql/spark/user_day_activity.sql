-- user_day_activity: how many events of each type each user had on each day, and what they spent.
--
-- Computes: per (user_id, date, event_type): events, the number of clean events, and revenue,
--   the exact sum of their prices as DECIMAL(12, 2) inputs (NULL for view and add_to_cart).
-- Input: clean_events.
-- Output: user_day_activity (lake). One scan of the raw events serves user_segments and
--   daily_stats, which add these rows up instead of scanning the events again; each row is one
--   user, so counting rows counts distinct users.
-- Parameters: none.
-- @output user_day_activity

CREATE OR REPLACE TEMPORARY VIEW user_day_activity AS
SELECT
    user_id,
    date,
    event_type,
    count(*) AS events,
    sum(CASE WHEN event_type = 'purchase' THEN cast(price AS DECIMAL(12, 2)) END) AS revenue
FROM clean_events
GROUP BY user_id, date, event_type;
