-- Daily (UTC) USDT flows per chain, exchange entity and token: what arrived, what left, the net.
-- cross_in / cross_out: the part that came from / went to another exchange (also inside inflow / outflow).
-- transfers: transfers counted for the entity that day. Internal moves (same entity both sides),
-- mint/burn legs and transfers between unlabeled wallets never count.
-- reserve_end: the entity's USDT at the end of the day (see exchange_reserves_daily.sql; NULL if unknown).
-- token: the token contract, last (the export promises the columns before it); flows and reserves of two
-- tokens on one chain are separate rows, never added up.
-- Parameters (NULL = no filter): $chain ('ethereum' | 'tron'), $since, $until (DATE, inclusive).
WITH flows AS (
SELECT
    chain,
    token,
    CAST(hour AS DATE) AS day,
    entity,
    CAST(sum(inflow) AS DECIMAL(38, 6)) AS inflow,
    CAST(sum(outflow) AS DECIMAL(38, 6)) AS outflow,
    CAST(sum(inflow) - sum(outflow) AS DECIMAL(38, 6)) AS netflow,
    CAST(sum(cross_in) AS DECIMAL(38, 6)) AS cross_in,
    CAST(sum(cross_out) AS DECIMAL(38, 6)) AS cross_out,
    CAST(sum(transfers) AS BIGINT) AS transfers
FROM exchange_flows_for_days($since, $until)
WHERE ($chain IS NULL OR chain = $chain)
GROUP BY chain, token, day, entity
)
SELECT f.chain, f.day, f.entity, f.inflow, f.outflow, f.netflow, f.cross_in, f.cross_out, f.transfers, r.reserve_end,
       f.token
FROM flows f
LEFT JOIN exchange_reserves_by_day r USING (chain, token, day, entity)
ORDER BY day, chain, entity, token;
