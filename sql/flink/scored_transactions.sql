-- scored_transactions: every valid transaction scored by the deployed fraud model, in the
-- TaskManager, with the model's version.
--
-- Computes: scored_transactions, each row of transaction_features with
--     fraud_score    the model's probability that the transaction is fraud (0 to 1);
--     model_version  the version that scored it (the registry's, as deployed).
-- Input: transaction_features (fraud_features.sql), whose feature columns are the model's
--   INPUT, in order.
-- Output: scored_transactions, read by model_score.sql (the sixth alert type), the fraud_scores
--   sink and the feature log.
-- Parameters: the deployed model, as the registry (model_registry) holds it and a deployment
--   passes it: fraud_model_path (an ONNX file: runners/ml/fraud_model.py exports one),
--   fraud_model_version, fraud_model_sha256. The defaults score with the model deployed last
--   on this machine (dags/fraud_model_training.py keeps a copy there), its version read from
--   the file and its checksum not checked; the platform's submissions give all three.
-- How: fraud_model is declared with the 'onnx' provider (udfs/java/sqlplatform/ml): at
--   submission it checks the file exists, has the registry's checksum and takes these features
--   (count and names), and fails with one line naming the file or the column otherwise; each
--   task scores its rows itself, one at a time, with no network call: a tree ensemble (what
--   the training exports) in Java with ONNX Runtime's arithmetic, any other model by ONNX
--   Runtime. A NULL feature reaches the model as NaN, which the model file's imputer replaces
--   by the training median.
-- @param fraud_model_path = data/models/fraud_detection/deployed/model.onnx
-- @param fraud_model_version =
-- @param fraud_model_sha256 =

-- The linter's flink dialect cannot parse CREATE MODEL: lint skips this statement.
-- noqa: disable=all
CREATE TEMPORARY MODEL fraud_model
INPUT (
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
    hour_of_day DOUBLE
)
OUTPUT (fraud_score DOUBLE, model_version STRING)
WITH (
    'provider' = 'onnx',
    'path' = '${fraud_model_path}',
    'version' = '${fraud_model_version}',
    'sha256' = '${fraud_model_sha256}'
);
-- noqa: enable=all

CREATE TEMPORARY VIEW scored_transactions AS
SELECT *
FROM
    ml_predict(
        TABLE transaction_features,
        MODEL fraud_model,
        DESCRIPTOR(
            amount, amount_to_mean, amount_zscore, previous_count, seconds_since_previous,
            km_from_previous, km_from_first, speed_kmh, recent_count, previous_small, high_risk_merchant,
            hour_of_day
        )
    );
