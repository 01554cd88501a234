-- clean_events: the clickstream with its dirt taken out, and the dirt kept and counted.
--
-- Computes: the events the analysis trusts, each with its UTC calendar date. An event is kept
--   when its type is view, add_to_cart or purchase (compared after trimming and lower-casing, so
--   ' View' counts as a view), it names a user, a product and a time, and its price is a number
--   from 0 to ${max_price}. Prices become DECIMAL(18, 2), so sums are exact and repeatable.
-- Input: the clickstream Parquet at ${events_path}, read with the contract's schema; a file
--   whose columns do not match it fails here, naming the column.
-- Outputs: clean_events (lake), and quarantined_events (lake): every rejected row as it came,
--   with rejection_reason. Nothing is dropped without being counted; the final query prints the
--   counts by reason.
-- Parameters: events_path; max_price, the highest price believed (a higher one is a typo or a
--   test order, not revenue).
-- Edges: an event with several faults carries the first of: unknown_event_type,
--   null_product_id, null_user_id, null_timestamp, price_out_of_range.
-- @param events_path = data/sample/clickstream
-- @param max_price = 1000000
-- @output clean_events
-- @output quarantined_events

CREATE OR REPLACE TEMPORARY VIEW raw_events (
    user_id STRING,
    session_id STRING,
    product_id STRING,
    category STRING,
    price DOUBLE,
    event_type STRING,
    timestamp TIMESTAMP
)
USING PARQUET
OPTIONS (path '${events_path}');

CREATE OR REPLACE TEMPORARY VIEW classified_events AS
SELECT
    user_id,
    session_id,
    product_id,
    category,
    price,
    event_type,
    timestamp,
    lower(trim(event_type)) AS normalized_event_type,
    CASE
        WHEN
            event_type IS NULL
            OR lower(trim(event_type)) NOT IN ('view', 'add_to_cart', 'purchase')
            THEN 'unknown_event_type'
        WHEN product_id IS NULL THEN 'null_product_id'
        WHEN user_id IS NULL THEN 'null_user_id'
        WHEN timestamp IS NULL THEN 'null_timestamp'
        WHEN
            price IS NULL OR isnan(price) OR price < 0 OR price > ${max_price}
            THEN 'price_out_of_range'
    END AS rejection_reason
FROM raw_events;

CREATE OR REPLACE TEMPORARY VIEW clean_events AS
SELECT
    user_id,
    session_id,
    product_id,
    category,
    normalized_event_type AS event_type,
    timestamp,
    cast(price AS DECIMAL(18, 2)) AS price,
    cast(timestamp AS DATE) AS date
FROM classified_events
WHERE rejection_reason IS NULL;

CREATE OR REPLACE TEMPORARY VIEW quarantined_events AS
SELECT
    user_id,
    session_id,
    product_id,
    category,
    price,
    event_type,
    timestamp,
    rejection_reason
FROM classified_events
WHERE rejection_reason IS NOT NULL;

SELECT
    rejection_reason,
    count(*) AS quarantined
FROM quarantined_events
GROUP BY rejection_reason
ORDER BY rejection_reason;
