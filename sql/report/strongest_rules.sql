-- strongest_rules: the association rules with the highest lift ("bought together" most beyond
-- chance).
--
-- Computes: the ${top_n} rules of highest lift, then confidence; ties are broken by the rule's
--   text so the list is stable. Items inside a side are sorted and joined with ', '.
-- Inputs: ${lake_path}/association_rules (Parquet, from sql/spark/fpgrowth.sql).
-- Outputs: if_bought, then_buys, confidence (3 decimals), lift (2 decimals), support
--   (4 decimals); strongest first.
-- Parameters: lake_path (from the profile), top_n.
-- Runs in DuckDB (runners/report/report.py).
-- @param top_n = 10

WITH readable_rules AS (
    SELECT
        confidence,
        lift,
        support,
        array_to_string(list_sort(antecedent), ', ') AS if_bought,
        array_to_string(list_sort(consequent), ', ') AS then_buys
    FROM read_parquet('${lake_path}/association_rules/*.parquet')
)

SELECT
    if_bought,
    then_buys,
    round(confidence, 3) AS confidence,
    round(lift, 2) AS lift,
    round(support, 4) AS support
FROM readable_rules
ORDER BY lift DESC, confidence DESC, if_bought ASC, then_buys ASC
LIMIT ${top_n};
