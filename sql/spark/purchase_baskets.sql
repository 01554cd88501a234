-- purchase_baskets: what each shopping session bought.
--
-- Computes: one row per (user_id, session_id) with at least one purchase: products, the distinct
--   products bought, sorted; item_count, the number of purchase events; total_amount, the
--   exact sum of their prices in cents.
-- Input: purchases.
-- Output: purchase_baskets (lake).
-- Parameters: none.
-- Edges: a product bought twice in one session appears once in products (FPGrowth counts
--   whether a basket holds a product, and rejects a basket that lists one twice) but twice in
--   item_count and total_amount, which count purchases.
-- @output purchase_baskets

CREATE OR REPLACE TEMPORARY VIEW purchase_baskets AS
WITH session_purchases AS (
    SELECT
        user_id,
        session_id,
        array_sort(collect_set(product_id)) AS products,
        count(product_id) AS item_count,
        -- Whole cents add up exactly as BIGINT; a DECIMAL(22, 2) sum is a slower BigDecimal.
        sum(cast(price * 100 AS BIGINT)) AS total_cents
    FROM purchases
    GROUP BY user_id, session_id
)

SELECT
    user_id,
    session_id,
    products,
    item_count,
    cast(total_cents / 100.0 AS DECIMAL(22, 2)) AS total_amount
FROM session_purchases;
