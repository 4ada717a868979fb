-- Hourly (UTC) USDT flows per chain and exchange entity; same columns and rules as exchange_netflow_daily.
-- Parameters (NULL = no filter): $chain, $since, $until (DATE, inclusive, UTC days).
SELECT
    chain,
    date_trunc('hour', timezone('UTC', block_time)) AS hour,
    entity,
    CAST(coalesce(sum(amount) FILTER (WHERE direction = 'in'), 0) AS DECIMAL(38, 6)) AS inflow,
    CAST(coalesce(sum(amount) FILTER (WHERE direction = 'out'), 0) AS DECIMAL(38, 6)) AS outflow,
    CAST(inflow - outflow AS DECIMAL(38, 6)) AS netflow,
    CAST(coalesce(sum(amount) FILTER (WHERE direction = 'in' AND cross_exchange), 0) AS DECIMAL(38, 6)) AS cross_in,
    CAST(coalesce(sum(amount) FILTER (WHERE direction = 'out' AND cross_exchange), 0) AS DECIMAL(38, 6)) AS cross_out,
    count(*) AS transfers
FROM exchange_flow_legs
WHERE ($chain IS NULL OR chain = $chain)
  AND ($since IS NULL OR CAST(timezone('UTC', block_time) AS DATE) >= CAST($since AS DATE))
  AND ($until IS NULL OR CAST(timezone('UTC', block_time) AS DATE) <= CAST($until AS DATE))
GROUP BY ALL
ORDER BY hour, chain, entity;
