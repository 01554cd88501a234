-- support_features: each customer's support tickets and how they rated them.
--
-- Computes: per customer_id with any ticket: tickets, open_tickets (not resolved),
--   high_priority_tickets, rated_tickets and avg_satisfaction (mean of the 1-5 ratings given;
--   NULL when none was given).
-- Input: raw_support_tickets.
-- Output: support_features (a view).
-- Parameters: none.
-- Edges: a ticket with no resolved flag counts as open: nobody confirmed it was solved.

CREATE OR REPLACE TEMPORARY VIEW support_features AS
SELECT
    customer_id,
    count(*) AS tickets,
    count_if(resolved IS NOT TRUE) AS open_tickets,
    count_if(priority = 'high') AS high_priority_tickets,
    count(satisfaction) AS rated_tickets,
    avg(satisfaction) AS avg_satisfaction
FROM raw_support_tickets
GROUP BY customer_id;
