-- product_recommendations: the association rules strong enough to recommend on.
--
-- Computes: each rule with confidence > ${min_confidence}, and confidence_pct, its confidence as
--   a whole percentage (truncated, as the seed's cast to int does).
-- Input: association_rules.
-- Output: product_recommendations (lake and warehouse).
-- Parameters: min_confidence (the seed's 0.5; strictly greater than).
-- @param min_confidence = 0.5
-- @output product_recommendations publish
-- @check product_recommendations expression confidence > ${min_confidence}
-- @check product_recommendations.confidence accepted_range ..1

CREATE OR REPLACE TEMPORARY VIEW product_recommendations AS
SELECT
    antecedent,
    consequent,
    confidence,
    lift,
    support,
    cast(confidence * 100 AS INT) AS confidence_pct
FROM association_rules
WHERE confidence > ${min_confidence};

SELECT
    antecedent,
    consequent,
    confidence_pct,
    lift
FROM product_recommendations
ORDER BY confidence DESC, antecedent ASC, consequent ASC
LIMIT 10;
