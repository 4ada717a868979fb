-- The largest transfers into, out of and between exchanges (internal moves excluded), largest first.
-- Parameters: $chain (NULL = all), $since, $until (DATE, inclusive, NULL = open), $top (rows, NULL = 20).
SELECT
    chain,
    block_time,
    tx_hash,
    log_index,
    flow_type,
    coalesce(from_entity, from_address) AS sender,
    coalesce(to_entity, to_address) AS receiver,
    amount
FROM transfer_flows
WHERE flow_type IN ('inflow', 'outflow', 'cross_exchange')
  AND ($chain IS NULL OR chain = $chain)
  -- bounds on block_time itself, so storage blocks outside the days are skipped
  AND ($since IS NULL OR block_time >= timezone('UTC', CAST(CAST($since AS DATE) AS TIMESTAMP)))
  AND ($until IS NULL OR block_time < timezone('UTC', CAST(CAST($until AS DATE) + 1 AS TIMESTAMP)))
ORDER BY amount DESC, block_time, tx_hash, log_index
LIMIT coalesce(CAST($top AS BIGINT), 20);
