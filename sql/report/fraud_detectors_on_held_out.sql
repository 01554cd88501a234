-- fraud_detectors_on_held_out: the fraud model against each rule, on held-out labelled data.
--
-- Computes: for each alert type of the fraud job (the five rules in the job's order, then
--   MODEL_SCORE, the model), over the held-out transactions of the newest fraud training set
--   (split 'holdout': later than the training range, labelled), how many it flagged (a combined
--   alert of the job names the type), the share of those that are fraud (precision), and the
--   share of the frauds it flagged (recall); 0 where nothing is flagged or nothing is fraud.
-- Inputs: ${lake_path}/fraud_training_set (Parquet, sql/spark/fraud/fraud_training_set.sql);
--   ${alerts_path}/alert_history (JSON lines, the fraud job's combined alerts).
-- Outputs: detector_position, detector, held_out, fraud, flagged, flagged_fraud, precision_rate,
--   recall_rate.
-- Parameters: lake_path, alerts_path.
-- Runs in DuckDB (runners/report/report.py).
-- @param lake_path = data/lake
-- @param alerts_path = data/alerts

WITH held_out AS (
    SELECT
        transaction_id,
        is_fraud
    FROM read_parquet('${lake_path}/fraud_training_set/*.parquet')
    WHERE split = 'holdout'
),

detector_list AS (
    SELECT
        [
            'HIGH_VELOCITY', 'UNUSUAL_AMOUNT', 'IMPOSSIBLE_TRAVEL', 'SUSPICIOUS_SEQUENCE',
            'SUSPICIOUS_MERCHANT', 'MODEL_SCORE'
        ] AS detector_names
),

detectors AS (
    SELECT
        unnest(detector_names) AS detector,
        generate_subscripts(detector_names, 1) AS detector_position
    FROM detector_list
),

flags AS (
    SELECT DISTINCT
        transaction_id,
        unnest(string_split(alert_type, ',')) AS detector
    FROM read_json(
        '${alerts_path}/alert_history/*',
        format = 'newline_delimited',
        columns = { 'transaction_id': 'VARCHAR', 'alert_type': 'VARCHAR' }
    )
),

counts AS (
    SELECT
        detectors.detector_position,
        detectors.detector,
        count(held_out.transaction_id) AS held_out,
        sum(held_out.is_fraud) AS fraud,
        count(flags.transaction_id) AS flagged,
        count(CASE WHEN held_out.is_fraud = 1 THEN flags.transaction_id END) AS flagged_fraud
    FROM detectors
    CROSS JOIN held_out
    LEFT JOIN flags
        ON
            held_out.transaction_id = flags.transaction_id
            AND detectors.detector = flags.detector
    GROUP BY detectors.detector_position, detectors.detector
)

SELECT
    detector_position,
    detector,
    held_out,
    fraud,
    flagged,
    flagged_fraud,
    CASE WHEN flagged > 0 THEN flagged_fraud / flagged ELSE 0 END AS precision_rate,
    CASE WHEN fraud > 0 THEN flagged_fraud / fraud ELSE 0 END AS recall_rate
FROM counts
ORDER BY detector_position;
