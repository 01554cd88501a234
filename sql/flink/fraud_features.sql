-- fraud_features: the fraud model's features of each transaction, one definition for serving
-- and training.
--
-- Computes: transaction_features, one row per transaction of transactions, with what the
--   model reads (every one a DOUBLE; NULL where it is not defined, which the model file's
--   imputer replaces by the training median):
--     amount                 the amount;
--     amount_to_mean         amount / the mean of the user's earlier amounts (NULL for the
--                            user's first transaction, or a mean of 0);
--     amount_zscore          (amount - that mean) / their standard deviation, the population
--                            one, as unusual_amount.sql computes it (NULL under two earlier
--                            amounts, or no spread);
--     previous_count         how many transactions of the user came before;
--     seconds_since_previous from the user's previous transaction (NULL for the first);
--     km_from_previous       the great-circle distance from it (the seed's haversine, radius
--                            6371 km; NULL for the first);
--     km_from_first          the distance from where the user's card was first used (0 for
--                            the first): a card far from home;
--     speed_kmh              km_from_previous over the time between, at least 1 ms (so a tie
--                            far away is very fast, not undefined);
--     recent_count           the user's transactions in the last minute, this one included;
--     previous_small         card tests (under $5) among the user's previous five;
--     high_risk_merchant     1 at suspicious_merchant.sql's categories, otherwise 0;
--     hour_of_day            the hour of the transaction's time, UTC (0 to 23).
--   With transaction_id, user_id, epoch_millis and event_time.
-- Input: transactions_with_history (user_history.sql: the running history the detectors share).
-- Output: transaction_features: what fraud_scores.sql scores and the job logs, for training,
--   to the feature log (the lake's fraud_features, by day).
-- Parameters: none (the windows are user_history.sql's).
-- Edges: a feature the history cannot give is NULL, never NaN or infinite, so the log holds
--   plain JSON numbers. The model reads the features by name (scored_transactions.sql).

CREATE TEMPORARY FUNCTION IF NOT EXISTS great_circle_km AS 'sqlplatform.udfs.GreatCircleKm'
LANGUAGE JAVA;

CREATE TEMPORARY VIEW transaction_features AS
WITH history_moments AS (
    SELECT
        transaction_id,
        user_id,
        amount,
        merchant_category,
        epoch_millis,
        event_time,
        previous_count,
        recent_count,
        previous_small,
        epoch_millis - previous_millis AS millis_since_previous,
        -- NaN for the first transaction (0 / 0), and a variance of 0 for the second: the
        -- features' CASEs below make both NULL.
        previous_sum / previous_count AS previous_mean,
        previous_squares / previous_count
        - power(previous_sum / previous_count, 2) AS previous_variance,
        great_circle_km(previous_latitude, previous_longitude, latitude, longitude)
            AS km_from_previous,
        great_circle_km(first_latitude, first_longitude, latitude, longitude) AS km_from_first
    FROM transactions_with_history
)

SELECT
    transaction_id,
    user_id,
    epoch_millis,
    event_time,
    amount,
    km_from_previous,
    km_from_first,
    cast(previous_count AS DOUBLE) AS previous_count,
    cast(recent_count AS DOUBLE) AS recent_count,
    cast(previous_small AS DOUBLE) AS previous_small,
    cast(mod(epoch_millis / 3600000, 24) AS DOUBLE) AS hour_of_day,
    CASE WHEN previous_mean > 0 THEN amount / previous_mean END AS amount_to_mean,
    CASE
        WHEN previous_variance > 0 THEN (amount - previous_mean) / sqrt(previous_variance)
    END AS amount_zscore,
    millis_since_previous / 1000.0E0 AS seconds_since_previous,
    km_from_previous / (greatest(millis_since_previous, 1) / 3600000.0E0) AS speed_kmh,
    CASE
        WHEN merchant_category IN ('WIRE_TRANSFER', 'CRYPTO', 'GIFT_CARDS') THEN 1.0E0 ELSE 0.0E0
    END AS high_risk_merchant
FROM history_moments;
