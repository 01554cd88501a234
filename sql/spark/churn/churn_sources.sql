-- churn_sources: the churn pipeline's four raw sources for one day, as views with their schemas.
--
-- Computes: raw_customers, raw_payments, raw_support_tickets and raw_product_usage, read from the
--   folders the seed's DAG checks: ${lake_path}/raw/<source>/${snapshot_date}/.
-- Inputs: Parquet under ${lake_path}/raw/ (customer_data, transactions, support_tickets,
--   product_usage; runners/generate_churn.py writes sample ones). A file whose columns do not
--   match fails here, naming the column.
-- Outputs: the four views, nothing written.
-- Parameters: lake_path; snapshot_date, the day the snapshot describes (YYYY-MM-DD, the DAG
--   run's logical date).
-- @param snapshot_date = 2026-01-01

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
