-- alert_aggregation: the seed's AlertAggregator, which it calls and never defines.
--
-- Computes:
--   detector_alert_stream every detector's alerts in one stream;
--   combined_alerts       per transaction and 5-second event-time window, one alert:
--     alertType  the contributing types, comma-separated, in the fixed order HIGH_VELOCITY,
--                UNUSUAL_AMOUNT, IMPOSSIBLE_TRAVEL, SUSPICIOUS_SEQUENCE, SUSPICIOUS_MERCHANT
--                (a single alert keeps its own type, as the seed's consumers expect);
--     reason     their reasons, in the same order, joined by '; ';
--     riskScore  1 - product(1 - risk), over the types: the chance that at least one detector is right if
--                each is an independent witness. It is never below the strongest alert,
--                grows with every agreeing detector, and stays at most 1 (a sum would not);
--     timestamp  the latest contributing alert's event time, in epoch milliseconds.
-- Inputs: the five <detector>_alerts views.
-- Outputs: detector_alert_stream, combined_alerts (with window_start, which with
--   transaction_id keys the warehouse row, so a replay overwrites instead of duplicating).
-- Parameters: none.
-- Edges: the seed keys the window on the alert's time. A HIGH_VELOCITY alert's time is the end
--   of its minute, so it joins the other alerts of its transaction only when both fall in the
--   same 5 seconds; otherwise the transaction gets two combined alerts, as in the seed.

CREATE TEMPORARY VIEW detector_alert_stream AS
SELECT
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
    transaction_id,
    user_id,
    alert_type,
    reason,
    risk_score,
    alert_millis,
    alert_time
FROM suspicious_merchant_alerts;

CREATE TEMPORARY VIEW combined_alerts AS
WITH alerts_per_transaction AS (
    SELECT
        transaction_id,
        window_start,
        window_end,
        user_id,
        alert_type,
        reason,
        risk_score,
        alert_millis
    FROM table(tumble(TABLE detector_alert_stream, DESCRIPTOR (alert_time), INTERVAL '5' SECOND))
)

SELECT
    transaction_id,
    window_start,
    max(user_id) AS user_id,
    concat_ws(
        ',',
        max(CASE WHEN alert_type = 'HIGH_VELOCITY' THEN alert_type END),
        max(CASE WHEN alert_type = 'UNUSUAL_AMOUNT' THEN alert_type END),
        max(CASE WHEN alert_type = 'IMPOSSIBLE_TRAVEL' THEN alert_type END),
        max(CASE WHEN alert_type = 'SUSPICIOUS_SEQUENCE' THEN alert_type END),
        max(CASE WHEN alert_type = 'SUSPICIOUS_MERCHANT' THEN alert_type END)
    ) AS alert_type,
    concat_ws(
        '; ',
        max(CASE WHEN alert_type = 'HIGH_VELOCITY' THEN reason END),
        max(CASE WHEN alert_type = 'UNUSUAL_AMOUNT' THEN reason END),
        max(CASE WHEN alert_type = 'IMPOSSIBLE_TRAVEL' THEN reason END),
        max(CASE WHEN alert_type = 'SUSPICIOUS_SEQUENCE' THEN reason END),
        max(CASE WHEN alert_type = 'SUSPICIOUS_MERCHANT' THEN reason END)
    ) AS reason,
    -- 1 - product(1 - risk) over the types; the highest risk per type, so a repeated alert
    -- does not count twice.
    1 - (1 - coalesce(max(CASE WHEN alert_type = 'HIGH_VELOCITY' THEN risk_score END), 0))
    * (1 - coalesce(max(CASE WHEN alert_type = 'UNUSUAL_AMOUNT' THEN risk_score END), 0))
    * (1 - coalesce(max(CASE WHEN alert_type = 'IMPOSSIBLE_TRAVEL' THEN risk_score END), 0))
    * (1 - coalesce(max(CASE WHEN alert_type = 'SUSPICIOUS_SEQUENCE' THEN risk_score END), 0))
    * (1 - coalesce(max(CASE WHEN alert_type = 'SUSPICIOUS_MERCHANT' THEN risk_score END), 0))
        AS risk_score,
    max(alert_millis) AS alert_millis
FROM alerts_per_transaction
GROUP BY transaction_id, window_start, window_end;
