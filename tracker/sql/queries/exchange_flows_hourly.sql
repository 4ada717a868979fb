-- Hourly (UTC) USDT flows per chain, exchange entity and token; same columns and rules as exchange_netflow_daily.
-- Parameters (NULL = no filter): $chain, $since, $until (DATE, inclusive, UTC days), $token.
-- $token: a symbol (USDT, USDC) or a token address; `token` shows the symbol, `token_address` the contract.
SELECT
    f.chain,
    hour,
    entity,
    inflow,
    outflow,
    CAST(inflow - outflow AS amount) AS netflow,
    cross_in,
    cross_out,
    transfers,
    k.symbol AS token,  -- last: the leading columns are what readers rely on
    f.token AS token_address
FROM exchange_flows_for_days($since, $until) f
JOIN tokens_named($token) k ON k.chain = f.chain AND k.token = f.token
WHERE ($chain IS NULL OR f.chain = $chain)
ORDER BY hour, f.chain, entity, token, token_address;
