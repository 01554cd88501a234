-- fraud_detection: the job. It wires the detectors to the sinks in one statement set, so the
-- transactions are read once (runners/flink_sql.py, or the SQL client on --render's output).
--
-- Computes: nothing of its own; every rule is in the file that names it.
-- Inputs: transactions.sql and the detector files, which the runner loads first (they are
--   this file's upstream), over the tables of the profile's connectors/ file.
-- Outputs:
--   fraud_alerts      combined alerts with riskScore > ${min_published_risk}, FraudAlert JSON
--                     (Kafka topic fraud-alerts, exactly-once, on the platform);
--   alert_history     every combined alert (the warehouse table fraud_alerts, upserted);
--   detector_alerts   every detector's own alerts, before combining;
--   dead_letters      invalid lines, with the error;
--   late_transactions valid lines that came behind the watermark;
--   fraud_scores      every valid transaction's fraud model score and model version (the
--                     warehouse table fraud_scores, upserted, on the platform);
--   feature_log       the same transactions' features, score and version, by day: the lake's
--                     feature log, what the fraud model is trained on.
-- Parameters: min_published_risk, the seed's 0.7.
-- @param min_published_risk = 0.7

-- Optimise the views the five INSERTs share (the parsed transactions, the detectors' alerts)
-- once, as shared blocks. Without it the planner pushes each INSERT's projection into its own
-- copy of the parsing: every line was parsed five times, and the job ran 4x slower.
SET 'table.optimizer.reuse-optimize-block-with-digest-enabled' = 'true';

-- A row waits at most 100 ms for the Python UDF's batch (the haversine of impossible_travel),
-- not Flink's default 1 s: at 2,000 transactions/s that second was most of the alert latency.
SET 'python.fn-execution.bundle.time' = '100';

-- The name the cluster lists the job under: dags/fraud_detection_ops.py looks for it.
SET 'pipeline.name' = 'fraud_detection';

EXECUTE STATEMENT SET
BEGIN

    INSERT INTO fraud_alerts
    SELECT
        transaction_id AS `transactionId`,
        user_id AS `userId`,
        alert_type AS `alertType`,
        reason,
        risk_score AS `riskScore`,
        alert_millis AS `timestamp`
    FROM combined_alerts
    WHERE risk_score > ${min_published_risk};

    INSERT INTO alert_history
    SELECT
        transaction_id,
        window_start,
        user_id,
        alert_type,
        reason,
        risk_score,
        alert_millis AS alert_time
    FROM combined_alerts;

    INSERT INTO detector_alerts
    SELECT
        transaction_id AS `transactionId`,
        user_id AS `userId`,
        alert_type AS `alertType`,
        reason,
        risk_score AS `riskScore`,
        alert_millis AS `timestamp`
    FROM detector_alert_stream;

    INSERT INTO dead_letters
    SELECT
        line,
        error
    FROM invalid_transactions;

    INSERT INTO late_transactions
    SELECT
        line,
        event_time,
        watermark_at_arrival
    FROM late_arrivals;

    INSERT INTO fraud_scores
    SELECT
        transaction_id,
        user_id,
        fraud_score,
        model_version,
        epoch_millis AS transaction_time
    FROM scored_transactions;

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
        fraud_score,
        model_version,
        -- yyyy-MM-dd in the session's time zone (UTC), as date_format gives it, without a
        -- formatter a row (date_format's was a quarter of this sink's samples).
        cast(cast(event_time AS DATE) AS STRING) AS `day`
    FROM scored_transactions;

END;
