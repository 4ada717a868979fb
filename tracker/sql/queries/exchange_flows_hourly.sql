-- Hourly (UTC) USDT flows per chain, exchange entity and token; same columns and rules as exchange_netflow_daily.
-- Parameters (NULL = no filter): $chain, $since, $until (DATE, inclusive, UTC days).
SELECT
    chain,
    hour,
    entity,
    inflow,
    outflow,
    CAST(inflow - outflow AS DECIMAL(38, 6)) AS netflow,
    cross_in,
    cross_out,
    transfers,
    token  -- last: the leading columns are what readers rely on
FROM exchange_flows_for_days($since, $until)
WHERE ($chain IS NULL OR chain = $chain)
ORDER BY hour, chain, entity, token;
