-- churn_features: one row per customer with everything the churn model learns from, and the label.
--
-- Computes: per customer of raw_customers: tenure_days (signup to ${snapshot_date}), plan_rank
--   (basic 1, standard 2, premium 3), monthly_fee, age, the usage, support and billing features
--   (0 for a customer with no rows there), avg_satisfaction (0 when no ticket was rated:
--   rated_tickets says so), churned (1 or 0), and split: 'holdout' for about one customer in
--   five, chosen by a hash of customer_id so the same customer lands on the same side on every
--   run, otherwise 'train'.
-- Inputs: raw_customers, usage_features, support_features, billing_features.
-- Output: churn_features (lake), partitioned by snapshot_date: a re-run replaces its own day.
-- Parameters: snapshot_date, the snapshot day (YYYY-MM-DD).
-- @param snapshot_date = 2026-01-01
-- Edges: a customer without a plan we know gets plan_rank 0; one with no churned flag is left
--   out of training and of the holdout (split 'unlabelled'), not guessed.
-- @output churn_features partition_by=snapshot_date

CREATE OR REPLACE TEMPORARY VIEW churn_features AS
SELECT
    customers.customer_id,
    customers.monthly_fee,
    customers.age,
    DATE '${snapshot_date}' AS snapshot_date,
    cast(customers.churned AS INT) AS churned,
    datediff(DATE '${snapshot_date}', customers.signup_date) AS tenure_days,
    CASE customers.plan
        WHEN 'basic' THEN 1
        WHEN 'standard' THEN 2
        WHEN 'premium' THEN 3
        ELSE 0
    END AS plan_rank,
    coalesce(product_use.active_days, 0) AS active_days,
    coalesce(product_use.sessions, 0) AS sessions,
    coalesce(product_use.minutes_used, 0) AS minutes_used,
    coalesce(product_use.features_used, 0) AS features_used,
    coalesce(product_use.last_7_days_active, 0) AS last_7_days_active,
    coalesce(product_use.last_7_days_minutes, 0) AS last_7_days_minutes,
    coalesce(support.tickets, 0) AS tickets,
    coalesce(support.open_tickets, 0) AS open_tickets,
    coalesce(support.high_priority_tickets, 0) AS high_priority_tickets,
    coalesce(support.rated_tickets, 0) AS rated_tickets,
    coalesce(support.avg_satisfaction, 0) AS avg_satisfaction,
    coalesce(billing.payments, 0) AS payments,
    coalesce(billing.failed_payments, 0) AS failed_payments,
    coalesce(billing.amount_paid, 0) AS amount_paid,
    CASE
        WHEN customers.churned IS NULL THEN 'unlabelled'
        WHEN pmod(xxhash64(customers.customer_id), 5) = 0 THEN 'holdout'
        ELSE 'train'
    END AS split
FROM raw_customers AS customers
LEFT JOIN usage_features AS product_use ON customers.customer_id = product_use.customer_id
LEFT JOIN support_features AS support ON customers.customer_id = support.customer_id
LEFT JOIN billing_features AS billing ON customers.customer_id = billing.customer_id;
