-- purchases: the clean purchase events, with exact prices.
--
-- Computes: every clean event of type purchase: user_id, session_id, product_id, category, date
--   and price as DECIMAL(12, 2) (rounded half-up to cents), so sums are exact and repeatable.
-- Input: clean_events.
-- Output: purchases (lake). About one event in seven is a purchase; purchase_baskets and
--   popular_products read this instead of scanning all events again.
-- Parameters: none.
-- @output purchases

CREATE OR REPLACE TEMPORARY VIEW purchases AS
SELECT
    user_id,
    session_id,
    product_id,
    category,
    date,
    cast(price AS DECIMAL(12, 2)) AS price
FROM clean_events
WHERE event_type = 'purchase';
