-- USDT moved from one exchange entity to another: one row per (chain, from, to) pair and token (grouped by
-- token so two tokens are never added up; the columns stay those the report prints).
-- Parameters (NULL = no filter): $chain, $since, $until (DATE, inclusive, UTC days).
SELECT
    chain,
    from_entity,
    to_entity,
    CAST(sum(amount) AS DECIMAL(38, 6)) AS amount,
    count(*) AS transfers
FROM transfer_flow_ids  -- transfer_flows without the addresses, which this does not show
WHERE flow_type = 'cross_exchange'
  AND ($chain IS NULL OR chain = $chain)
  -- bounds on block_time itself, so storage blocks outside the days are skipped
  AND ($since IS NULL OR block_time >= timezone('UTC', CAST(CAST($since AS DATE) AS TIMESTAMP)))
  AND ($until IS NULL OR block_time < timezone('UTC', CAST(CAST($until AS DATE) + 1 AS TIMESTAMP)))
GROUP BY chain, token, from_entity, to_entity
ORDER BY chain, amount DESC, from_entity, to_entity, token;
