-- model_metrics: the churn model of the newest churn pipeline run, and how it scored.
--
-- Computes: from the newest daily report of dags/ml_pipeline_customer_churn.py, the holdout
--   accuracy, precision, recall and f1, one row each, with the run's outcome and its gate.
-- Inputs: ${reports_path}/churn/<date>.json (the DAG's generate_daily_report).
-- Outputs: model_date, status ('deployed', 'rejected' or 'not decided'), min_f1 (the gate),
--   holdout_rows, metric, score; one row per metric, in the order above.
-- Parameters: reports_path.
-- The report's columns are named, so a key that an older report lacks reads as NULL.
-- Runs in DuckDB (runners/report/report.py).
-- @param reports_path = data/reports

WITH newest_report AS (
    SELECT
        status,
        min_f1,
        metrics,
        date AS model_date
    FROM
        read_json(
            '${reports_path}/churn/*.json',
            columns = {
                'date': 'VARCHAR',
                'status': 'VARCHAR',
                'min_f1': 'DOUBLE',
                'metrics': 'JSON'
            }
        )
    ORDER BY model_date DESC
    LIMIT 1
),

metric_scores AS (
    SELECT
        1 AS metric_order,
        'accuracy' AS metric,
        cast(metrics ->> 'accuracy' AS DOUBLE) AS score
    FROM newest_report
    UNION ALL
    SELECT
        2 AS metric_order,
        'precision' AS metric,
        cast(metrics ->> 'precision' AS DOUBLE) AS score
    FROM newest_report
    UNION ALL
    SELECT
        3 AS metric_order,
        'recall' AS metric,
        cast(metrics ->> 'recall' AS DOUBLE) AS score
    FROM newest_report
    UNION ALL
    SELECT
        4 AS metric_order,
        'f1' AS metric,
        cast(metrics ->> 'f1_score' AS DOUBLE) AS score
    FROM newest_report
)

SELECT
    report.model_date,
    report.status,
    report.min_f1,
    cast(report.metrics ->> 'holdout_rows' AS BIGINT) AS holdout_rows,
    scores.metric,
    scores.score
FROM newest_report AS report
CROSS JOIN metric_scores AS scores
ORDER BY scores.metric_order;
