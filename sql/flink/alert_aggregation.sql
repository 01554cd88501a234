-- alert_aggregation: the seed's AlertAggregator, which it calls and never defines.
--
-- Computes:
--   detector_alert_stream every detector's alerts in one stream, with detector_order;
--   alerts_per_type       per transaction, 5-second event-time window and type, one row;
--   combined_alerts       per transaction and 5-second event-time window, one alert:
--     alertType  the contributing types, comma-separated, in detector_order: HIGH_VELOCITY,
--                UNUSUAL_AMOUNT, IMPOSSIBLE_TRAVEL, SUSPICIOUS_SEQUENCE, SUSPICIOUS_MERCHANT,
--                MODEL_SCORE (the fraud model, after the seed's five rules)
--                (a single alert keeps its own type, as the seed's consumers expect);
--     reason     their reasons, in the same order, joined by '; ';
--     riskScore  1 - product(1 - risk), over the types: the chance that at least one
--                detector is right if each is an independent witness. It is never below the
--                strongest alert, grows with every agreeing detector, and stays at most 1 (a
--                sum would not);
--     timestamp  the latest contributing alert's event time, in epoch milliseconds.
-- Inputs: the <detector>_alerts views, listed once, in detector_alert_stream.
-- Outputs: detector_alert_stream, alerts_per_type, combined_alerts (with window_start, which
--   with transaction_id keys the warehouse row, so a replay overwrites instead of duplicating).
-- Parameters: none.
-- Adding a detector: its own file, which creates <detector>_alerts, and one SELECT in
--   detector_alert_stream, whose position sets where its type and reason stand.
-- Edges: the seed keys the window on the alert's time. A HIGH_VELOCITY alert's time is the end
--   of its minute, so it joins the other alerts of its transaction only when both fall in the
--   same 5 seconds; otherwise the transaction gets two combined alerts, as in the seed.

CREATE TEMPORARY FUNCTION IF NOT EXISTS join_in_order AS 'sqlplatform.udfs.JoinInOrder'
LANGUAGE JAVA;

CREATE TEMPORARY FUNCTION IF NOT EXISTS product_in_order AS 'sqlplatform.udfs.ProductInOrder'
LANGUAGE JAVA;

-- The detectors, each with its position in a combined alert's type and reason lists.
CREATE TEMPORARY VIEW detector_alert_stream AS
SELECT
    1 AS detector_order,
    transaction_id,
    user_id,
    alert_type,
    reason,
    risk_score,
    alert_millis,
    alert_time
FROM high_velocity_alerts
UNION ALL
SELECT
    2 AS detector_order,
    transaction_id,
    user_id,
    alert_type,
    reason,
    risk_score,
    alert_millis,
    alert_time
FROM unusual_amount_alerts
UNION ALL
SELECT
    3 AS detector_order,
    transaction_id,
    user_id,
    alert_type,
    reason,
    risk_score,
    alert_millis,
    alert_time
FROM impossible_travel_alerts
UNION ALL
SELECT
    4 AS detector_order,
    transaction_id,
    user_id,
    alert_type,
    reason,
    risk_score,
    alert_millis,
    alert_time
FROM suspicious_sequence_alerts
UNION ALL
SELECT
    5 AS detector_order,
    transaction_id,
    user_id,
    alert_type,
    reason,
    risk_score,
    alert_millis,
    alert_time
FROM suspicious_merchant_alerts
UNION ALL
SELECT
    6 AS detector_order,
    transaction_id,
    user_id,
    alert_type,
    reason,
    risk_score,
    alert_millis,
    alert_time
FROM model_score_alerts;

-- One row per transaction, 5-second window and type: a type that alerted twice counts once,
-- with its highest risk.
CREATE TEMPORARY VIEW alerts_per_type AS
SELECT
    transaction_id,
    window_time AS alert_time,
    alert_type,
    min(detector_order) AS detector_order,
    max(user_id) AS user_id,
    max(reason) AS reason,
    max(risk_score) AS risk_score,
    max(alert_millis) AS alert_millis
FROM table(tumble(TABLE detector_alert_stream, DESCRIPTOR (alert_time), INTERVAL '5' SECOND))
GROUP BY transaction_id, alert_type, window_start, window_end, window_time;

-- The same windows again (each row's alert_time, its window's last millisecond, lies in its
-- own window), now across the types.
CREATE TEMPORARY VIEW combined_alerts AS
SELECT
    transaction_id,
    window_start,
    max(user_id) AS user_id,
    join_in_order(alert_type, detector_order, ',') AS alert_type,
    join_in_order(reason, detector_order, '; ') AS reason,
    -- 1 - product(1 - risk) over the types, multiplied in the detectors' order.
    1 - product_in_order(1 - risk_score, detector_order) AS risk_score,
    max(alert_millis) AS alert_millis
FROM table(tumble(TABLE alerts_per_type, DESCRIPTOR (alert_time), INTERVAL '5' SECOND))
GROUP BY transaction_id, window_start, window_end;
