-- Daily (UTC) USDT flows per chain and exchange entity: what arrived, what left, the net.
-- cross_in / cross_out: the part that came from / went to another exchange (also inside inflow / outflow).
-- transfers: transfers counted for the entity that day. Internal moves (same entity both sides),
-- mint/burn legs and transfers between unlabeled wallets never count.
-- Parameters (NULL = no filter): $chain ('ethereum' | 'tron'), $since, $until (DATE, inclusive).
SELECT
    chain,
    CAST(timezone('UTC', block_time) AS DATE) AS day,
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
ORDER BY day, chain, entity;
