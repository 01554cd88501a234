-- transactions: the seed's Transaction JSON, parsed, with event time, and sorted into good,
-- bad and late.
--
-- Computes:
--   transaction_events  every line of transaction_lines with its fields parsed and event_time,
--                       the transaction's own timestamp, with the seed's watermark:
--                       ${out_of_orderness_seconds} seconds of bounded out-of-orderness;
--   checked_transactions each line with its error (NULL when valid) and whether it is late,
--                       that is at or behind its partition's watermark when it arrived (the
--                       latest event time of the partition's earlier lines, less the bound),
--                       so an event-time operator downstream could drop it;
--   transactions        the valid, on-time ones: what every detector reads;
--   invalid_transactions the others that are not valid, with the error (dead letters);
--   late_arrivals       the valid ones that came too late, with the watermark they missed.
-- Input: transaction_lines (a connectors/ file): one raw line per record, and source_partition,
--   where it came from (a Kafka partition, or a file), whose order is the only one the input
--   keeps: lateness is decided in it, so it does not depend on how the readers interleave
--   partitions, nor on how many readers there are (udfs/java/.../PartitionWatermark.java).
-- Outputs: the views above.
-- Parameters: out_of_orderness_seconds, the seed's 5 (its forBoundedOutOfOrderness).
-- @param out_of_orderness_seconds = 5
-- Edges: numbers given as JSON strings ("12.50") are read as numbers, as Jackson, which the
--   seed's deserializer uses, does by default. A line is invalid when it is not a JSON object, or transactionId, userId, amount,
--   timestamp, latitude or longitude is missing or of the wrong type, or amount is negative or
--   not a number, or a coordinate is out of range. merchantCategory may be missing (then no
--   merchant rule applies). A line without a usable timestamp gets event time 0 and does not
--   move the watermark.

CREATE TEMPORARY FUNCTION IF NOT EXISTS json_fields AS 'sqlplatform.udfs.JsonFields'
LANGUAGE JAVA;

CREATE TEMPORARY FUNCTION IF NOT EXISTS partition_watermark
AS 'sqlplatform.udfs.PartitionWatermark'
LANGUAGE JAVA;

CREATE TEMPORARY TABLE transaction_events (
    -- One parse per line (JSON_VALUE would parse the line once per field); NULL when the line
    -- is not JSON. Element i is JSON_VALUE(line, '$.<name i>').
    fields AS json_fields(
        line, 'transactionId', 'userId', 'amount', 'merchantCategory', 'latitude', 'longitude',
        'timestamp'
    ),
    -- A computed column cannot read another, so the timestamp is asked for again; json_fields
    -- keeps the last line it parsed, so this reads it instead of parsing the line again.
    event_time AS to_timestamp_ltz(
        coalesce(try_cast(json_fields(line, 'timestamp')[1] AS BIGINT), 0), 3
    ),
    WATERMARK FOR event_time AS event_time - INTERVAL '${out_of_orderness_seconds}' SECOND
) LIKE transaction_lines;

CREATE TEMPORARY VIEW checked_transactions AS
WITH parsed_lines AS (
    SELECT
        line,
        event_time,
        fields IS NULL AS malformed,
        fields[1] AS transaction_id,
        fields[2] AS user_id,
        try_cast(fields[3] AS DOUBLE) AS amount,
        fields[4] AS merchant_category,
        try_cast(fields[5] AS DOUBLE) AS latitude,
        try_cast(fields[6] AS DOUBLE) AS longitude,
        try_cast(fields[7] AS BIGINT) AS epoch_millis,
        partition_watermark(
            source_partition, event_time, ${out_of_orderness_seconds} * 1000
        ) AS watermark_at_arrival
    FROM transaction_events
)

SELECT
    line,
    transaction_id,
    user_id,
    amount,
    merchant_category,
    latitude,
    longitude,
    epoch_millis,
    event_time,
    watermark_at_arrival,
    CASE
        WHEN malformed THEN 'malformed JSON'
        WHEN transaction_id IS NULL THEN 'transactionId missing'
        WHEN user_id IS NULL THEN 'userId missing'
        WHEN amount IS NULL THEN 'amount missing or not a number'
        WHEN amount < 0 OR cast(amount AS STRING) = 'NaN' THEN 'amount negative or NaN'
        WHEN epoch_millis IS NULL THEN 'timestamp missing or not an integer'
        WHEN
            latitude IS NULL OR latitude NOT BETWEEN -90 AND 90
            THEN 'latitude missing or out of range'
        WHEN
            longitude IS NULL OR longitude NOT BETWEEN -180 AND 180
            THEN 'longitude missing or out of range'
    END AS error
FROM parsed_lines;

CREATE TEMPORARY VIEW transactions AS
SELECT
    transaction_id,
    user_id,
    amount,
    merchant_category,
    latitude,
    longitude,
    epoch_millis,
    event_time
FROM checked_transactions
WHERE
    error IS NULL
    AND (watermark_at_arrival IS NULL OR event_time > watermark_at_arrival);

CREATE TEMPORARY VIEW invalid_transactions AS
SELECT
    line,
    error
FROM checked_transactions
WHERE error IS NOT NULL;

CREATE TEMPORARY VIEW late_arrivals AS
SELECT
    line,
    event_time,
    watermark_at_arrival
FROM checked_transactions
WHERE error IS NULL AND event_time <= watermark_at_arrival;
