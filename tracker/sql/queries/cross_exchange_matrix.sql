-- USDT moved from one exchange entity to another: one row per (chain, from, to) pair and token (grouped by
-- token so two tokens are never added up; the columns stay those the report prints).
-- Parameters (NULL = no filter): $chain, $since, $until (DATE, inclusive, UTC days), $token.
-- $token: a symbol (USDT, USDC) or a token address; `token` shows the symbol, `token_address` the contract.
SELECT
    m.chain,
    from_entity,
    to_entity,
    CAST(sum(amount) AS amount) AS amount,
    count(*) AS transfers,
    k.symbol AS token,
    m.token AS token_address
FROM transfer_flow_ids m  -- transfer_flows without the addresses, which this does not show
JOIN tokens_named($token) k ON k.chain = m.chain AND k.token = m.token
WHERE flow_type = 'cross_exchange'
  AND ($chain IS NULL OR m.chain = $chain)
  -- bounds on block_time itself, so storage blocks outside the days are skipped
  AND ($since IS NULL OR block_time >= timezone('UTC', CAST(CAST($since AS DATE) AS TIMESTAMP)))
  AND ($until IS NULL OR block_time < timezone('UTC', CAST(CAST($until AS DATE) + 1 AS TIMESTAMP)))
GROUP BY m.chain, m.token, k.symbol, from_entity, to_entity
ORDER BY m.chain, amount DESC, from_entity, to_entity, token, token_address;
