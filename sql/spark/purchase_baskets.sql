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
SELECT
    user_id,
    session_id,
    array_sort(collect_set(product_id)) AS products,
    count(product_id) AS item_count,
    sum(price) AS total_amount
FROM purchases
GROUP BY user_id, session_id;
