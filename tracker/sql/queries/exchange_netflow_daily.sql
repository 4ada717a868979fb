-- Daily (UTC) USDT flows per chain, exchange entity and token: what arrived, what left, the net.
-- cross_in / cross_out: the part that came from / went to another exchange (also inside inflow / outflow).
-- transfers: transfers counted for the entity that day. Internal moves (same entity both sides),
-- mint/burn legs and transfers between unlabeled wallets never count.
-- reserve_end: the entity's USDT at the end of the day (see exchange_reserves_daily.sql; NULL if unknown).
-- token (its symbol) and token_address, last (the export promises the columns before them); flows and reserves
-- of two tokens on one chain are separate rows, never added up.
-- Parameters (NULL = no filter): $chain ('ethereum' | 'tron'), $since, $until (DATE, inclusive), $token.
-- $token: a symbol (USDT, USDC) or a token address; `token` shows the symbol, `token_address` the contract.
WITH flows AS (
SELECT
    chain,
    token,
    CAST(hour AS DATE) AS day,
    entity,
    CAST(sum(inflow) AS amount) AS inflow,
    CAST(sum(outflow) AS amount) AS outflow,
    CAST(sum(inflow) - sum(outflow) AS amount) AS netflow,
    CAST(sum(cross_in) AS amount) AS cross_in,
    CAST(sum(cross_out) AS amount) AS cross_out,
    CAST(sum(transfers) AS BIGINT) AS transfers
FROM exchange_flows_for_days($since, $until)
WHERE ($chain IS NULL OR chain = $chain)
GROUP BY chain, token, day, entity
)
SELECT f.chain, f.day, f.entity, f.inflow, f.outflow, f.netflow, f.cross_in, f.cross_out, f.transfers, r.reserve_end,
       k.symbol AS token, f.token AS token_address
FROM flows f
JOIN tokens_named($token) k ON k.chain = f.chain AND k.token = f.token
LEFT JOIN exchange_reserves_by_day r ON r.chain = f.chain AND r.token = f.token AND r.day = f.day AND r.entity = f.entity
ORDER BY f.day, f.chain, f.entity, token, token_address;
