-- connectors/files: the local profile's tables, JSON-lines files in and out.
--
-- Computes: nothing; it declares where the job reads and writes.
-- Inputs: transaction_lines, every line of the files under ${transactions_path} (names
--   starting with _ or . are skipped), as text, so a
--   malformed line reaches the dead-letter table instead of failing the job, with its file as
--   source_partition (a file is read in order, by one reader). Bounded: the job ends at the end
--   of the files.
-- Outputs: each a folder of JSON-lines files under ${alerts_path}:
--   fraud_alerts/     the combined alerts with riskScore > 0.7, the seed's FraudAlert JSON (what
--                     the platform sends to Kafka);
--   alert_history/    every combined alert, keyed by (transaction_id, window_start) (what the
--                     platform upserts into the warehouse table fraud_alerts);
--   detector_alerts/  every detector's own alerts, before combining, one folder per alertType;
--   dead_letters/     lines that are not a valid transaction, with the reason;
--   late_transactions/ valid transactions that came after the watermark had passed them;
--   fraud_scores/     every valid transaction's fraud score and model version (what the
--                     platform upserts into the warehouse table fraud_scores).
-- And under ${fraud_features_path}, the lake's feature log: one folder per day (day=YYYY-MM-DD)
--   of the scored transactions' features, what training reads.
-- Parameters: transactions_path, alerts_path, fraud_features_path.
-- @param transactions_path = data/sample/transactions
-- @param alerts_path = data/alerts
-- @param fraud_features_path = data/lake/fraud_features

-- Each table takes its columns from sql/flink/schemas.sql (LIKE). The flink dialect of
-- the linter requires a column list before LIKE, which Flink does not: lint skips these.
-- noqa: disable=all
CREATE TEMPORARY TABLE transaction_lines (
    source_partition STRING NOT NULL METADATA FROM 'file.path' VIRTUAL
)
WITH (
    'connector' = 'filesystem',
    'path' = '${transactions_path}',
    'format' = 'raw'
)
LIKE transaction_line_schema;

CREATE TEMPORARY TABLE fraud_alerts
WITH (
    'connector' = 'filesystem',
    'path' = '${alerts_path}/fraud_alerts',
    'format' = 'json'
)
LIKE fraud_alert_schema;

CREATE TEMPORARY TABLE alert_history
WITH (
    'connector' = 'filesystem',
    'path' = '${alerts_path}/alert_history',
    'format' = 'json'
)
LIKE alert_history_schema;

CREATE TEMPORARY TABLE detector_alerts
PARTITIONED BY (`alertType`)
WITH (
    'connector' = 'filesystem',
    'path' = '${alerts_path}/detector_alerts',
    'format' = 'json'
)
LIKE fraud_alert_schema;

CREATE TEMPORARY TABLE dead_letters
WITH (
    'connector' = 'filesystem',
    'path' = '${alerts_path}/dead_letters',
    'format' = 'json'
)
LIKE dead_letter_schema;

CREATE TEMPORARY TABLE late_transactions
WITH (
    'connector' = 'filesystem',
    'path' = '${alerts_path}/late_transactions',
    'format' = 'json'
)
LIKE late_transaction_schema;

CREATE TEMPORARY TABLE fraud_scores
WITH (
    'connector' = 'filesystem',
    'path' = '${alerts_path}/fraud_scores',
    'format' = 'json'
)
LIKE fraud_score_schema;

CREATE TEMPORARY TABLE feature_log
PARTITIONED BY (`day`)
WITH (
    'connector' = 'filesystem',
    'path' = '${fraud_features_path}',
    'format' = 'json'
)
LIKE feature_log_schema;
-- noqa: enable=all
