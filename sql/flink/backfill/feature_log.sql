-- feature_log (backfill): the job that writes the feature log of a history no model has scored yet,
-- so the first fraud model can be trained (runners/flink_sql.py on the labelled files).
--
-- Computes: nothing of its own: the features are fraud_features.sql's, the same definition the
--   fraud job logs, so the first model learns from what it will be served.
-- Inputs: transaction_features (fraud_features.sql), over the profile's transaction_lines.
-- Output: feature_log (the lake's fraud_features, by day), with model_version 'none' and no
--   score.
-- Parameters: none of its own.

-- The name the cluster lists the job under.
SET 'pipeline.name' = 'feature_log_backfill';

EXECUTE STATEMENT SET
BEGIN

    INSERT INTO feature_log
    SELECT
        transaction_id,
        user_id,
        epoch_millis AS transaction_time,
        amount,
        amount_to_mean,
        amount_zscore,
        previous_count,
        seconds_since_previous,
        km_from_previous,
        km_from_first,
        speed_kmh,
        recent_count,
        previous_small,
        high_risk_merchant,
        hour_of_day,
        cast(NULL AS DOUBLE) AS fraud_score,
        'none' AS model_version,
        date_format(event_time, 'yyyy-MM-dd') AS `day`
    FROM transaction_features;

END;
