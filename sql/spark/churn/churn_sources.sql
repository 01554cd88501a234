-- churn_sources: the churn pipeline's four raw sources for one day, as views with their schemas.
--
-- Computes: raw_customers, raw_payments, raw_support_tickets and raw_product_usage, read from the
--   folders the seed's DAG checks: ${lake_path}/raw/<source>/${snapshot_date}/.
-- Inputs: Parquet under ${lake_path}/raw/ (customer_data, transactions, support_tickets,
--   product_usage; runners/sample_data/generate_churn.py writes sample ones). The step at the
--   end checks every file's footer first: a file that lacks a declared column, or holds one of
--   another type, fails here, naming the file and the column.
-- Outputs: the four views, nothing written.
-- Parameters: lake_path; snapshot_date, the day the snapshot describes (YYYY-MM-DD, the DAG
--   run's logical date); max_null_rate, the share of NULLs a required column may hold (the
--   seed's 10%).
-- Checks: the @check lines below, on the raw files. The churn DAG runs them on the day's Parquet
--   before anything reads it; runners/sample_data/generate_churn.py writes these columns and
--   types.
-- @param snapshot_date = 2026-01-01
-- @param max_null_rate = 0.10
-- @check raw_customers.customer_id not_null
-- @check raw_customers.customer_id unique
-- @check raw_customers.age accepted_range 18..120
-- @check raw_customers.monthly_fee accepted_range 0..
-- @check raw_customers.signup_date null_rate_at_most ${max_null_rate}
-- @check raw_customers.plan null_rate_at_most ${max_null_rate}
-- @check raw_customers.monthly_fee null_rate_at_most ${max_null_rate}
-- @check raw_customers.churned null_rate_at_most ${max_null_rate}
-- @check raw_payments.transaction_id not_null
-- @check raw_payments.transaction_id unique
-- @check raw_payments.amount accepted_range 0..
-- @check raw_payments.status accepted_values succeeded,failed
-- @check raw_payments.customer_id null_rate_at_most ${max_null_rate}
-- @check raw_payments.amount null_rate_at_most ${max_null_rate}
-- @check raw_payments.status null_rate_at_most ${max_null_rate}
-- @check raw_payments.paid_at null_rate_at_most ${max_null_rate}
-- @check raw_support_tickets.ticket_id not_null
-- @check raw_support_tickets.ticket_id unique
-- @check raw_support_tickets.satisfaction accepted_range 1..5
-- @check raw_support_tickets.customer_id null_rate_at_most ${max_null_rate}
-- @check raw_support_tickets.opened_at null_rate_at_most ${max_null_rate}
-- @check raw_support_tickets.priority null_rate_at_most ${max_null_rate}
-- @check raw_product_usage.sessions accepted_range 0..
-- @check raw_product_usage.minutes_used accepted_range 0..
-- @check raw_product_usage.customer_id null_rate_at_most ${max_null_rate}
-- @check raw_product_usage.usage_date null_rate_at_most ${max_null_rate}
-- @check raw_product_usage.sessions null_rate_at_most ${max_null_rate}
-- @check raw_product_usage.minutes_used null_rate_at_most ${max_null_rate}

CREATE OR REPLACE TEMPORARY VIEW raw_customers (
    customer_id STRING,
    signup_date DATE,
    plan STRING,
    monthly_fee DOUBLE,
    region STRING,
    age INT,
    churned BOOLEAN
)
USING PARQUET
OPTIONS (path '${lake_path}/raw/customer_data/${snapshot_date}');

CREATE OR REPLACE TEMPORARY VIEW raw_payments (
    transaction_id STRING,
    customer_id STRING,
    amount DOUBLE,
    status STRING,
    paid_at TIMESTAMP
)
USING PARQUET
OPTIONS (path '${lake_path}/raw/transactions/${snapshot_date}');

CREATE OR REPLACE TEMPORARY VIEW raw_support_tickets (
    ticket_id STRING,
    customer_id STRING,
    opened_at TIMESTAMP,
    priority STRING,
    resolved BOOLEAN,
    satisfaction INT
)
USING PARQUET
OPTIONS (path '${lake_path}/raw/support_tickets/${snapshot_date}');

CREATE OR REPLACE TEMPORARY VIEW raw_product_usage (
    customer_id STRING,
    usage_date DATE,
    sessions INT,
    minutes_used DOUBLE,
    features_used INT
)
USING PARQUET
OPTIONS (path '${lake_path}/raw/product_usage/${snapshot_date}');

-- @step runners.engines.file_contract.check reads=raw_customers,raw_payments,raw_support_tickets,raw_product_usage views=raw_customers,raw_payments,raw_support_tickets,raw_product_usage
