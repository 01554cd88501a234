-- fpgrowth: frequent itemsets and association rules of the purchase baskets, by MLlib FPGrowth.
--
-- Computes: frequent_itemsets (items, item_count, freq, support) with support >= ${min_support},
--   and association_rules (antecedent, consequent, confidence, lift, support) with confidence >=
--   ${min_confidence}. Item lists are sorted, so a re-run writes identical rows.
-- Input: purchase_baskets; every basket counts, single-product ones too (they are part of the
--   population that support is a share of).
-- Outputs: frequent_itemsets and association_rules (lake and warehouse).
-- Parameters: min_support, min_confidence (the seed's 0.01 and 0.3).
-- Step: udfs.fpgrowth.mine fits MLlib's FPGrowth on the view fpgrowth_baskets (column items)
--   and creates the views fpgrowth_itemsets and fpgrowth_rules (its reads= and writes=, which
--   the file's graph cannot see in SQL).
-- @param min_support = 0.01
-- @param min_confidence = 0.3
-- @output frequent_itemsets publish
-- @output association_rules publish
-- @check frequent_itemsets.support accepted_range ${min_support}..1
-- @check association_rules.confidence accepted_range ${min_confidence}..1

CREATE OR REPLACE TEMPORARY VIEW fpgrowth_baskets AS
SELECT products AS items
FROM purchase_baskets;

-- @step udfs.fpgrowth.mine reads=fpgrowth_baskets writes=fpgrowth_itemsets,fpgrowth_rules baskets=fpgrowth_baskets support=${min_support} confidence=${min_confidence}

CREATE OR REPLACE TEMPORARY VIEW frequent_itemsets AS
WITH basket_count AS (
    SELECT count(*) AS basket_total FROM fpgrowth_baskets
)

SELECT
    fpgrowth_itemsets.freq,
    array_sort(fpgrowth_itemsets.items) AS items,
    size(fpgrowth_itemsets.items) AS item_count,
    fpgrowth_itemsets.freq / basket_count.basket_total AS support
FROM fpgrowth_itemsets
CROSS JOIN basket_count;

CREATE OR REPLACE TEMPORARY VIEW association_rules AS
SELECT
    confidence,
    lift,
    support,
    array_sort(antecedent) AS antecedent,
    array_sort(consequent) AS consequent
FROM fpgrowth_rules;

SELECT
    items,
    freq
FROM frequent_itemsets
WHERE item_count > 1
ORDER BY freq DESC, items ASC
LIMIT 10;
