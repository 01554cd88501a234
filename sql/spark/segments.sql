-- segments: each user's funnel counts, conversion rate and spending segment (user_segments).
--
-- Computes: per user_id: views, cart_adds, purchases (event counts), total_spent (sum of purchase
--   prices), conversion_rate = purchases / views * 100 as DECIMAL(18, 2) rounded half-up, and
--   segment: premium when total_spent > ${premium_above}, regular when > ${regular_above},
--   otherwise casual.
-- Input: user_day_activity (the user's events by day).
-- Output: user_segments (lake and warehouse).
-- Parameters: premium_above, regular_above (the seed's 1000 and 500; strictly greater than).
-- Edges: total_spent is 0.00 for a user with no purchase, not NULL. conversion_rate is NULL when
--   the user has no views (a rate of nothing is undefined; the seed divides by zero), and may
--   exceed 100 when purchases outnumber views (the seed's DECIMAL(5, 2) overflows from 1000).
-- @param premium_above = 1000
-- @param regular_above = 500
-- @output user_segments publish
-- @check user_segments.user_id not_null
-- @check user_segments.user_id unique
-- @check user_segments.segment not_null
-- @check user_segments.segment accepted_values premium,regular,casual
-- @check user_segments.total_spent accepted_range 0..
-- @check user_segments.views accepted_range 0..

CREATE OR REPLACE TEMPORARY VIEW user_segments AS
WITH user_activity AS (
    SELECT
        user_id,
        sum(views) AS views,
        sum(cart_adds) AS cart_adds,
        sum(purchases) AS purchases,
        coalesce(sum(revenue), 0) AS total_spent
    FROM user_day_activity
    GROUP BY user_id
)

SELECT
    user_id,
    views,
    cart_adds,
    purchases,
    total_spent,
    cast(cast(purchases AS DECIMAL(20, 0)) * 100 / nullif(views, 0) AS DECIMAL(18, 2))
        AS conversion_rate,
    CASE
        WHEN total_spent > ${premium_above} THEN 'premium'
        WHEN total_spent > ${regular_above} THEN 'regular'
        ELSE 'casual'
    END AS segment
FROM user_activity;

SELECT
    segment,
    count(*) AS user_count,
    sum(total_spent) AS total_spent
FROM user_segments
GROUP BY segment
ORDER BY segment;
