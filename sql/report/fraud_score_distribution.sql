-- fraud_score_distribution: how the fraud model scored the transactions, fraud and genuine apart.
--
-- Computes: the fraud job's scores (every valid transaction's) in ${bucket_count} equal buckets of
--   [0, 1] (a score of 1 falls in the last), counted separately for confirmed fraud (a label of
--   the labels table) and the rest; every bucket has a row of each, 0 when empty.
-- Inputs: ${alerts_path}/fraud_scores (JSON lines, the fraud job's scores);
--   ${fraud_labels_path} (JSON lines, the labels table).
-- Outputs: truth ('fraud' or 'genuine'), bucket_from, bucket_to, transaction_count.
-- Parameters: alerts_path, fraud_labels_path, bucket_count.
-- Runs in DuckDB (runners/report/report.py).
-- @param alerts_path = data/alerts
-- @param fraud_labels_path = data/lake/fraud_labels
-- @param bucket_count = 20

WITH histogram AS (
    SELECT cast(${bucket_count} AS INTEGER) AS bucket_count
),

fraud AS (
    SELECT DISTINCT transaction_id
    FROM
        read_json(
            '${fraud_labels_path}/*',
            format = 'newline_delimited',
            columns = { 'transaction_id': 'VARCHAR', 'label': 'VARCHAR' }
        )
    WHERE label = 'fraud'
),

scored AS (
    SELECT
        scores.transaction_id,
        least(
            floor(scores.fraud_score * histogram.bucket_count), histogram.bucket_count - 1
        ) AS bucket,
        CASE WHEN fraud.transaction_id IS NULL THEN 'genuine' ELSE 'fraud' END AS truth
    FROM
        read_json(
            '${alerts_path}/fraud_scores/*',
            format = 'newline_delimited',
            columns = { 'transaction_id': 'VARCHAR', 'fraud_score': 'DOUBLE' }
        ) AS scores
    CROSS JOIN histogram
    LEFT JOIN fraud ON scores.transaction_id = fraud.transaction_id
),

histogram_cells AS (
    SELECT
        bucket_numbers.bucket,
        truths.truth,
        bucket_numbers.bucket_count
    FROM (
        SELECT
            bucket_count,
            unnest(range(bucket_count)) AS bucket
        FROM histogram
    ) AS bucket_numbers
    CROSS JOIN (VALUES ('fraud'), ('genuine')) AS truths (truth)
)

SELECT
    histogram_cells.truth,
    histogram_cells.bucket / histogram_cells.bucket_count AS bucket_from,
    (histogram_cells.bucket + 1) / histogram_cells.bucket_count AS bucket_to,
    count(scored.transaction_id) AS transaction_count
FROM histogram_cells
LEFT JOIN scored
    ON histogram_cells.bucket = scored.bucket AND histogram_cells.truth = scored.truth
GROUP BY histogram_cells.truth, histogram_cells.bucket, histogram_cells.bucket_count
ORDER BY histogram_cells.truth, histogram_cells.bucket;
