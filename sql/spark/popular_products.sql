-- popular_products: the most purchased products of each category.
--
-- Computes: per (category, product_id) the purchase_count and avg_price (rounded half-up to
--   cents), ranked within the category by purchase_count with rank(); ranks up to ${top_n}.
-- Input: purchases.
-- Output: popular_products (lake and warehouse).
-- Parameters: top_n (the seed's 10).
-- Edges: rank() gives tied products the same rank, so a category can hold more than ${top_n}
--   rows when products tie at the cut; a product bought twice in a session counts twice.
-- @param top_n = 10
-- @output popular_products publish
-- @check popular_products.product_id not_null
-- @check popular_products.purchase_count accepted_range 1..

CREATE OR REPLACE TEMPORARY VIEW popular_products AS
WITH product_purchases AS (
    SELECT
        category,
        product_id,
        cast(avg(price) AS DECIMAL(18, 2)) AS avg_price,
        count(*) AS purchase_count
    FROM purchases
    GROUP BY category, product_id
),

ranked_products AS (
    SELECT
        category,
        product_id,
        purchase_count,
        avg_price,
        rank() OVER (PARTITION BY category ORDER BY purchase_count DESC) AS category_rank
    FROM product_purchases
)

SELECT
    category,
    product_id,
    purchase_count,
    avg_price,
    category_rank AS rank
FROM ranked_products
WHERE category_rank <= ${top_n};

SELECT
    category,
    product_id,
    purchase_count,
    avg_price
FROM popular_products
WHERE rank = 1
ORDER BY category, product_id;
