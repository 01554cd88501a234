-- fraud_training_set: the logged features of the transactions old enough for their label to be
-- known, labelled, and split by time into a training range and a later held-out range.
--
-- Computes: one row per transaction of logged_features whose time is before
--   ${as_of} - ${label_wait_days} days (a chargeback comes within that wait, so a transaction
--   without one by ${as_of} is taken as genuine): its features, is_fraud (1 when fraud_labels
--   holds a label for it with label_time <= ${as_of}, else 0), the score and version it was
--   logged with, and split: 'holdout' for the last ${holdout_days} days of that range, 'train'
--   before. A transaction logged twice (a replay) counts once.
-- Inputs: logged_features, fraud_labels (fraud_sources.sql).
-- Output: fraud_training_set (lake), replaced by each run.
-- Parameters: as_of, the run's time (UTC, 'YYYY-MM-DD HH:MM:SS': labels known by then);
--   label_wait_days, how long a chargeback may take (the sample's labels come within 7 days);
--   holdout_days, the held-out range's length.
-- @param as_of = 2026-01-10 00:00:00
-- @param label_wait_days = 7
-- @param holdout_days = 1
-- @output fraud_training_set

CREATE OR REPLACE TEMPORARY VIEW fraud_training_set AS
WITH time_ranges AS (
    SELECT
        unix_millis(to_timestamp('${as_of}')) AS as_of_millis,
        unix_millis(to_timestamp('${as_of}') - make_dt_interval(${label_wait_days}))
            AS labelled_before,
        unix_millis(
            to_timestamp('${as_of}') - make_dt_interval(${label_wait_days} + ${holdout_days})
        ) AS holdout_from
),

logged_once AS (
    SELECT
        *,
        row_number() OVER (PARTITION BY transaction_id ORDER BY model_version) AS log_copy
    FROM logged_features
),

known_fraud AS (
    SELECT DISTINCT labels.transaction_id
    FROM fraud_labels AS labels
    CROSS JOIN time_ranges
    WHERE labels.label = 'fraud' AND labels.label_time <= time_ranges.as_of_millis
)

SELECT
    logged.transaction_id,
    logged.user_id,
    logged.transaction_time,
    logged.amount,
    logged.amount_to_mean,
    logged.amount_zscore,
    logged.previous_count,
    logged.seconds_since_previous,
    logged.km_from_previous,
    logged.km_from_first,
    logged.speed_kmh,
    logged.recent_count,
    logged.previous_small,
    logged.high_risk_merchant,
    logged.hour_of_day,
    logged.fraud_score AS logged_score,
    logged.model_version AS logged_model_version,
    cast(known_fraud.transaction_id IS NOT NULL AS INT) AS is_fraud,
    CASE
        WHEN logged.transaction_time >= time_ranges.holdout_from THEN 'holdout' ELSE 'train'
    END AS split
FROM logged_once AS logged
CROSS JOIN time_ranges
LEFT JOIN known_fraud ON logged.transaction_id = known_fraud.transaction_id
WHERE logged.log_copy = 1 AND logged.transaction_time < time_ranges.labelled_before;
