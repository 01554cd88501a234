-- billing_features: each customer's payments and how many of them failed.
--
-- Computes: per customer_id with any payment: payments, failed_payments (status 'failed') and
--   amount_paid, the exact sum of the succeeded amounts as DECIMAL(12, 2).
-- Input: raw_payments (the source named transactions).
-- Output: billing_features (a view).
-- Parameters: none.
-- Edges: amount_paid is 0.00, not NULL, when every payment failed.

CREATE OR REPLACE TEMPORARY VIEW billing_features AS
SELECT
    customer_id,
    count(*) AS payments,
    count_if(status = 'failed') AS failed_payments,
    coalesce(
        sum(CASE WHEN status = 'succeeded' THEN cast(amount AS DECIMAL(12, 2)) END),
        0
    ) AS amount_paid
FROM raw_payments
GROUP BY customer_id;
