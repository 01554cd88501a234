-- clean_events: the clickstream events the analysis trusts, as views over the raw files.
--
-- Computes: raw_events, the clickstream read with the contract's schema; classified_events, each
--   raw event with its rejection_reason (NULL when it is clean); and clean_events, the clean
--   ones, with event_type normalized and date, the event's UTC calendar date. price stays the
--   contract's DOUBLE; the files that add prices up cast each one to DECIMAL(12, 2) first, so
--   sums are exact and a re-run writes identical rows (casting only the rows they add is
--   cheaper than casting every event here).
--   An event is clean when its type is view, add_to_cart or purchase (compared after trimming
--   and lower-casing, so ' View' counts as a view), it names a user, a product and a time, and
--   its price is a number from 0 to ${max_price}.
-- Input: the clickstream Parquet at ${events_path}. Before anything reads it, the step below
--   checks every file's footer against raw_events: a file that lacks a declared column, or
--   holds one of another type, stops the run here, naming the file and the column (Spark
--   would read a missing column as NULLs). A column the contract does not name is ignored.
-- Outputs: the views above, nothing written. The files that read clean_events filter the raw
--   files as they scan them, which on Spark is cheaper than writing and re-reading a cleaned copy
--   (see benchmarks/). quarantined_events.sql keeps and counts the rejected rows.
-- Parameters: events_path; max_price, the highest price believed (a higher one is a typo or a
--   test order, not revenue; at most 9,999,999,999).
-- Edges: an event with several faults carries the first of: unknown_event_type,
--   null_product_id, null_user_id, null_timestamp, price_out_of_range.
-- @param events_path = data/sample/clickstream
-- @param max_price = 1000000

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

-- @step runners.engines.file_contract.check reads=raw_events views=raw_events

CREATE OR REPLACE TEMPORARY VIEW classified_events AS
WITH typed_events AS (
    SELECT
        user_id,
        session_id,
        product_id,
        category,
        price,
        event_type,
        timestamp,
        -- Most types are already exact; only the others pay for trim and lower.
        CASE
            WHEN event_type IN ('view', 'add_to_cart', 'purchase') THEN event_type
            ELSE lower(trim(event_type))
        END AS normalized_event_type
    FROM raw_events
)

SELECT
    user_id,
    session_id,
    product_id,
    category,
    price,
    event_type,
    timestamp,
    normalized_event_type,
    CASE
        WHEN
            normalized_event_type IS NULL
            OR normalized_event_type NOT IN ('view', 'add_to_cart', 'purchase')
            THEN 'unknown_event_type'
        WHEN product_id IS NULL THEN 'null_product_id'
        WHEN user_id IS NULL THEN 'null_user_id'
        WHEN timestamp IS NULL THEN 'null_timestamp'
        WHEN
            price IS NULL OR isnan(price) OR price < 0 OR price > ${max_price}
            THEN 'price_out_of_range'
    END AS rejection_reason
FROM typed_events;

CREATE OR REPLACE TEMPORARY VIEW clean_events AS
SELECT
    user_id,
    session_id,
    product_id,
    category,
    normalized_event_type AS event_type,
    price,
    timestamp,
    cast(timestamp AS DATE) AS date
FROM classified_events
WHERE rejection_reason IS NULL;
