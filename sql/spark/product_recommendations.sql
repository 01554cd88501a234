-- product_recommendations: the association rules strong enough to recommend on.
--
-- Computes: each rule with confidence > ${recommend_above_confidence}, and confidence_pct, its
--   confidence as a whole percentage (truncated, as the seed's cast to int does).
-- Input: association_rules.
-- Output: product_recommendations (lake and warehouse).
-- Parameters: recommend_above_confidence (the seed's 0.5; strictly greater than). Its own name:
--   fpgrowth.sql's min_confidence is the mining floor, another rule.
-- @param recommend_above_confidence = 0.5
-- @output product_recommendations publish
-- @check product_recommendations.confidence accepted_range ..1
-- @check product_recommendations.confidence_pct accepted_range 0..100

CREATE OR REPLACE TEMPORARY VIEW product_recommendations AS
SELECT
    antecedent,
    consequent,
    confidence,
    lift,
    support,
    cast(confidence * 100 AS INT) AS confidence_pct
FROM association_rules
WHERE confidence > ${recommend_above_confidence};

SELECT
    antecedent,
    consequent,
    confidence_pct,
    lift
FROM product_recommendations
ORDER BY confidence DESC, antecedent ASC, consequent ASC
LIMIT 10;
