-- Hourly (UTC) flows per chain, token and exchange entity between two UTC days (inclusive; NULL = open):
-- the one place flows are summed (exchange_flows_by_hour is this with no bounds). GROUP BY ALL takes token
-- too: two tokens of one chain are never added up.
CREATE OR REPLACE MACRO exchange_flows_for_days(first_day, last_day) AS TABLE
SELECT
    chain,
    token,
    date_trunc('hour', timezone('UTC', block_time)) AS hour,
    entity,
    CAST(coalesce(sum(amount) FILTER (WHERE direction = 'in'), 0) AS amount) AS inflow,
    CAST(coalesce(sum(amount) FILTER (WHERE direction = 'out'), 0) AS amount) AS outflow,
    CAST(coalesce(sum(amount) FILTER (WHERE direction = 'in' AND cross_exchange), 0) AS amount) AS cross_in,
    CAST(coalesce(sum(amount) FILTER (WHERE direction = 'out' AND cross_exchange), 0) AS amount) AS cross_out,
    count(*) AS transfers
FROM exchange_flow_legs
WHERE (first_day IS NULL OR block_time >= timezone('UTC', CAST(CAST(first_day AS DATE) AS TIMESTAMP)))
  AND (last_day IS NULL OR block_time < timezone('UTC', CAST(CAST(last_day AS DATE) + 1 AS TIMESTAMP)))
GROUP BY ALL;
