-- fraud_sources: what the fraud model is trained from, as views with their schemas.
--
-- Computes: logged_features, the fraud job's feature log (sql/flink/fraud_detection.sql's
--   feature_log: each scored transaction's features, score and model version, one folder per
--   day, day=YYYY-MM-DD); fraud_labels, the labels table of confirmed fraud (chargebacks), which
--   arrive days after their transaction (runners/sample_data/generate_transactions.py fills a
--   sample one).
-- Inputs: JSON lines under ${fraud_features_path} and ${fraud_labels_path}.
-- Outputs: the two views, nothing written.
-- Parameters: fraud_features_path, fraud_labels_path (the profile's).

CREATE OR REPLACE TEMPORARY VIEW logged_features (
    transaction_id STRING,
    user_id STRING,
    transaction_time BIGINT,
    amount DOUBLE,
    amount_to_mean DOUBLE,
    amount_zscore DOUBLE,
    previous_count DOUBLE,
    seconds_since_previous DOUBLE,
    km_from_previous DOUBLE,
    km_from_first DOUBLE,
    speed_kmh DOUBLE,
    recent_count DOUBLE,
    previous_small DOUBLE,
    high_risk_merchant DOUBLE,
    hour_of_day DOUBLE,
    fraud_score DOUBLE,
    model_version STRING,
    day STRING
)
USING JSON
OPTIONS (path '${fraud_features_path}');

CREATE OR REPLACE TEMPORARY VIEW fraud_labels (
    transaction_id STRING,
    label STRING,
    label_time BIGINT
)
USING JSON
OPTIONS (path '${fraud_labels_path}');
