-- The largest transfers into, out of and between exchanges (internal moves excluded), largest first.
-- Parameters: $chain (NULL = all), $since, $until (DATE, inclusive, NULL = open), $top (rows, NULL = 20), $token.
-- $token: a symbol (USDT, USDC) or a token address; `token` shows the symbol, `token_address` the contract.
WITH top AS (
    -- the largest rows first, by address id; only those rows' addresses are looked up
    SELECT chain, token, block_time, tx_hash, log_index, flow_type, from_entity, to_entity, from_id, to_id, amount
    FROM transfer_flow_ids
    WHERE flow_type IN ('inflow', 'outflow', 'cross_exchange')
      AND ($chain IS NULL OR chain = $chain)
      AND (chain, token) IN (SELECT chain, token FROM tokens_named($token))
      -- bounds on block_time itself, so storage blocks outside the days are skipped
      AND ($since IS NULL OR block_time >= timezone('UTC', CAST(CAST($since AS DATE) AS TIMESTAMP)))
      AND ($until IS NULL OR block_time < timezone('UTC', CAST(CAST($until AS DATE) + 1 AS TIMESTAMP)))
    ORDER BY amount DESC, block_time, tx_hash, log_index
    LIMIT coalesce(CAST($top AS BIGINT), 20)
)
SELECT
    t.chain,
    t.block_time,
    t.tx_hash,
    t.log_index,
    t.flow_type,
    coalesce(t.from_entity, f.address) AS sender,
    coalesce(t.to_entity, r.address) AS receiver,
    t.amount,
    k.symbol AS token,  -- which token the amount is in (last: the columns before it are unchanged)
    t.token AS token_address
FROM top t JOIN tokens_named($token) k ON k.chain = t.chain AND k.token = t.token
JOIN addresses f ON f.address_id = t.from_id JOIN addresses r ON r.address_id = t.to_id
ORDER BY t.amount DESC, t.block_time, t.tx_hash, t.log_index;
