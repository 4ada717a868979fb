-- How much of a UTC day's exchange flow each kind of label carried, per chain and token: a transfer's
-- inflow counts for the method of the receiving wallet's label, its outflow for the sending one's (bundled,
-- imported, discovered:deposit, discovered:hot). share_pct: of the chain's inflow + outflow that day.
-- Discovered labels appear only with --with-discovered (SET VARIABLE with_discovered = true), as in flows.
-- Parameters: $day (DATE, required).
WITH legs AS (
    SELECT chain, token, method, direction, amount FROM exchange_flow_legs
    WHERE block_time >= timezone('UTC', CAST(CAST($day AS DATE) AS TIMESTAMP))
      AND block_time < timezone('UTC', CAST(CAST($day AS DATE) + 1 AS TIMESTAMP))
),
by_method AS (
    SELECT chain, token, method,
           CAST(coalesce(sum(amount) FILTER (WHERE direction = 'in'), 0) AS DECIMAL(38, 6)) AS inflow,
           CAST(coalesce(sum(amount) FILTER (WHERE direction = 'out'), 0) AS DECIMAL(38, 6)) AS outflow,
           count(*) AS transfers
    FROM legs GROUP BY ALL
)
SELECT chain, method, inflow, outflow, transfers,
       CAST(round(100 * (inflow + outflow) / sum(inflow + outflow) OVER (PARTITION BY chain, token), 1) AS DECIMAL(5, 1))
           AS share_pct,
       token
FROM by_method
ORDER BY chain, token, inflow + outflow DESC, method;
