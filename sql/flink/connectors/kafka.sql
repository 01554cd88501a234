-- connectors/kafka: the platform profile's tables, Kafka in and out, the warehouse over JDBC.
--
-- Computes: nothing; it declares where the job reads and writes. The same tables as
--   connectors/files.sql, so every other file runs unchanged.
-- Inputs: transaction_lines, the topic ${transactions_topic} (the seed's `transactions`), read
--   as raw text from the consumer group's offsets (earliest the first time), with each line's
--   partition. With kafka_bounded_mode = latest-offset the job stops at the offsets it found at
--   start (replays and tests); the default, unbounded, runs until cancelled. The topic is keyed
--   by user, so a user's transactions are in one partition, in order; the job reads it with
--   as many readers as its parallelism, each chained to the parsing, so that order reaches
--   every detector, whatever the partition count (docs/fraud-detection.md, "Partitions").
-- Outputs:
--   fraud_alerts       topic ${alerts_topic} (the seed's `fraud-alerts`), FraudAlert JSON,
--                      exactly-once: Kafka transactions committed at checkpoints, so a
--                      read_committed consumer sees each alert once across failures;
--   alert_history      the warehouse table fraud_alerts over JDBC (sql/warehouse/fraud_alerts.sql),
--                      upserted on (transaction_id, window_start), so a replay adds nothing.
--                      Its connector, restartable-jdbc (udfs/java/sqlplatform/connectors), is
--                      the JDBC one with one change: while the database is down, the failed
--                      task's clean-up no longer ends the TaskManager, so the job restarts from
--                      its checkpoint under the profile's bounded strategy and catches up;
--   detector_alerts, dead_letters, late_transactions
--                      topics ${alerts_topic}-by-detector, ${transactions_topic}-dead-letters and
--                      ${transactions_topic}-late, exactly-once as well.
--   fraud_scores       the warehouse table fraud_scores (sql/warehouse/fraud_scores.sql), upserted
--                      on transaction_id over restartable-jdbc, as alert_history;
--   feature_log        the lake's feature log under ${fraud_features_path}, JSON files by day
--                      (day=YYYY-MM-DD), each rolled within ${feature_log_roll} and published at
--                      the next checkpoint: what training reads.
--   Each sink's Kafka transactional ids start with its topic's name: two jobs writing to
--   different topics never fence each other, and a restarted job aborts what its killed
--   predecessor left open on the same topic.
-- Parameters: kafka_bootstrap, transactions_topic, alerts_topic, kafka_bounded_mode, consumer_group,
--   fraud_features_path, feature_log_roll,
--   fraud_jdbc_url (jdbc:postgresql://host:port/db?user=...; a password, if any, comes in it
--   from the environment, never from a file).
-- @param transactions_topic = transactions
-- @param alerts_topic = fraud-alerts
-- @param kafka_bounded_mode = unbounded
-- @param consumer_group = fraud-detection
-- @param feature_log_roll = 1 min

-- Each table takes its columns from sql/flink/schemas.sql (LIKE). The flink dialect of
-- the linter requires a column list before LIKE, which Flink does not: lint skips these.
-- noqa: disable=all
CREATE TEMPORARY TABLE transaction_lines (
    source_partition INT METADATA FROM 'partition' VIRTUAL
)
WITH (
    -- Kafka's connector, but a reader left without a partition (fewer partitions than the
    -- job's parallelism) is idle instead of holding every window back
    -- (udfs/java/sqlplatform/connectors/SpareReadersIdleSource.java).
    'connector' = 'kafka-spare-readers-idle',
    'topic' = '${transactions_topic}',
    'properties.bootstrap.servers' = '${kafka_bootstrap}',
    'properties.group.id' = '${consumer_group}',
    'properties.auto.offset.reset' = 'earliest',
    'scan.startup.mode' = 'group-offsets',
    'scan.bounded.mode' = '${kafka_bounded_mode}',
    -- A watermark after every record, not every 200 ms: whether a record is late then depends
    -- on the records before it, not on timing, so a replay sorts the same records as late.
    'scan.watermark.emit.strategy' = 'on-event',
    -- No idle timeout, on purpose: after a quiet spell the detectors' subtasks wake up one by
    -- one, the first to wake moves the alert aggregation's watermark past alerts the others
    -- still hold, and Flink drops those silently (the crash test lost combined alerts so).
    -- The partitions are those of the start, so a reader left without one knows it is for good.
    'scan.topic-partition-discovery.interval' = '0 ms',
    'format' = 'raw'
)
LIKE transaction_line_schema;

CREATE TEMPORARY TABLE fraud_alerts
WITH (
    'connector' = 'kafka',
    'topic' = '${alerts_topic}',
    'properties.bootstrap.servers' = '${kafka_bootstrap}',
    'properties.transaction.timeout.ms' = '900000',
    'sink.delivery-guarantee' = 'exactly-once',
    'sink.transactional-id-prefix' = '${alerts_topic}',
    'format' = 'json'
)
LIKE fraud_alert_schema;

CREATE TEMPORARY TABLE alert_history
WITH (
    'connector' = 'restartable-jdbc',
    'url' = '${fraud_jdbc_url}',
    'table-name' = 'fraud_alerts'
)
LIKE alert_history_schema;

CREATE TEMPORARY TABLE detector_alerts
WITH (
    'connector' = 'kafka',
    'topic' = '${alerts_topic}-by-detector',
    'properties.bootstrap.servers' = '${kafka_bootstrap}',
    'properties.transaction.timeout.ms' = '900000',
    'sink.delivery-guarantee' = 'exactly-once',
    'sink.transactional-id-prefix' = '${alerts_topic}-by-detector',
    'format' = 'json'
)
LIKE fraud_alert_schema;

CREATE TEMPORARY TABLE dead_letters
WITH (
    'connector' = 'kafka',
    'topic' = '${transactions_topic}-dead-letters',
    'properties.bootstrap.servers' = '${kafka_bootstrap}',
    'properties.transaction.timeout.ms' = '900000',
    'sink.delivery-guarantee' = 'exactly-once',
    'sink.transactional-id-prefix' = '${transactions_topic}-dead-letters',
    'format' = 'json'
)
LIKE dead_letter_schema;

CREATE TEMPORARY TABLE late_transactions
WITH (
    'connector' = 'kafka',
    'topic' = '${transactions_topic}-late',
    'properties.bootstrap.servers' = '${kafka_bootstrap}',
    'properties.transaction.timeout.ms' = '900000',
    'sink.delivery-guarantee' = 'exactly-once',
    'sink.transactional-id-prefix' = '${transactions_topic}-late',
    'format' = 'json'
)
LIKE late_transaction_schema;

CREATE TEMPORARY TABLE fraud_scores
WITH (
    'connector' = 'restartable-jdbc',
    'url' = '${fraud_jdbc_url}',
    'table-name' = 'fraud_scores'
)
LIKE fraud_score_schema;

CREATE TEMPORARY TABLE feature_log
PARTITIONED BY (`day`)
WITH (
    'connector' = 'filesystem',
    'path' = '${fraud_features_path}',
    -- A JSON file is published at the first checkpoint after it rolls, at the latest every
    -- ${feature_log_roll} (a row format does not roll at each checkpoint by itself).
    'sink.rolling-policy.rollover-interval' = '${feature_log_roll}',
    'sink.rolling-policy.check-interval' = '${feature_log_roll}',
    'format' = 'json'
)
LIKE feature_log_schema;
-- noqa: enable=all
