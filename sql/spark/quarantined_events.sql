-- quarantined_events: every raw event that clean_events rejects, kept with the reason.
--
-- Computes: each rejected raw row as it came, with rejection_reason (see clean_events.sql), and
--   prints the counts by reason. Nothing is dropped without being counted here.
-- Input: classified_events (clean_events.sql).
-- Output: quarantined_events (lake).
-- Parameters: none of its own.
-- @output quarantined_events

CREATE OR REPLACE TEMPORARY VIEW quarantined_events AS
SELECT
    user_id,
    session_id,
    product_id,
    category,
    price,
    event_type,
    timestamp,
    rejection_reason
FROM classified_events
WHERE rejection_reason IS NOT NULL;

SELECT
    rejection_reason,
    count(*) AS quarantined
FROM quarantined_events
GROUP BY rejection_reason
ORDER BY rejection_reason;
