-- kafka_source: the benchmark's input, a Kafka topic read from the start to the offsets it
-- holds when the job starts (bounded), as connectors/kafka.sql reads it.
--
-- Computes: nothing; declares transaction_lines.
-- Inputs: the topic ${transactions_topic} on ${kafka_bootstrap}.
-- Outputs: transaction_lines (line STRING, source_partition INT).
-- Parameters: kafka_bootstrap, transactions_topic, consumer_group.
-- @param transactions_topic = bench-transactions
-- @param consumer_group = fraud-benchmark

-- The flink dialect of the linter requires a column list before LIKE, which Flink does not.
-- noqa: disable=all
CREATE TEMPORARY TABLE transaction_lines (
    source_partition INT METADATA FROM 'partition' VIRTUAL
) WITH (
    'connector' = 'kafka-spare-readers-idle',
    'scan.topic-partition-discovery.interval' = '0 ms',
    'topic' = '${transactions_topic}',
    'properties.bootstrap.servers' = '${kafka_bootstrap}',
    'properties.group.id' = '${consumer_group}',
    'scan.startup.mode' = 'earliest-offset',
    'scan.bounded.mode' = 'latest-offset',
    'scan.watermark.emit.strategy' = 'on-event',
    'format' = 'raw'
)
LIKE transaction_line_schema;
-- noqa: enable=all
