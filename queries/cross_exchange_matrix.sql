-- USDT moved from one exchange entity to another: one row per (chain, from, to) pair.
-- Parameters (NULL = no filter): $chain, $since, $until (DATE, inclusive, UTC days).
SELECT
    chain,
    from_entity,
    to_entity,
    CAST(sum(amount) AS DECIMAL(38, 6)) AS amount,
    count(*) AS transfers
FROM transfer_flows
WHERE flow_type = 'cross_exchange'
  AND ($chain IS NULL OR chain = $chain)
  AND ($since IS NULL OR CAST(timezone('UTC', block_time) AS DATE) >= CAST($since AS DATE))
  AND ($until IS NULL OR CAST(timezone('UTC', block_time) AS DATE) <= CAST($until AS DATE))
GROUP BY ALL
ORDER BY chain, amount DESC, from_entity, to_entity;
