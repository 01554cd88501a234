-- top_products_per_category: each category's best sellers, for the report's first chart.
--
-- Computes: per category, the products ranked 1 to ${top_n} by purchase count. The rank is
--   popular_products' rank(), so tied products share a rank and a category can show more than
--   ${top_n} products.
-- Inputs: ${lake_path}/popular_products (Parquet, from sql/spark/popular_products.sql).
-- Outputs: one row per (category, product_id): category, product_id, purchase_count,
--   avg_price, rank; ordered by category, rank, product_id.
-- Parameters: lake_path (from the profile), top_n.
-- Runs in DuckDB (runners/report/report.py).
-- @param top_n = 5

SELECT
    category,
    product_id,
    purchase_count,
    avg_price,
    rank
FROM read_parquet('${lake_path}/popular_products/*.parquet')
WHERE rank <= ${top_n}
ORDER BY category, rank, product_id;
