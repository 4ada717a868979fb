-- Label coverage per UTC day: how much of the chain's USDT volume touched a labeled wallet, per entity and
-- for any label. volume: what the entity's wallets sent or received (a transfer between two of its wallets
-- once); day_volume: every transfer that day (mint/burn legs and self-transfers aside); share_pct: volume /
-- day_volume in %. The '(any label)' row counts a transfer once whoever is on each side. Discovered labels
-- count only with --with-discovered (SET VARIABLE with_discovered = true), as in flows.
-- Parameters (NULL = no filter): $chain ('ethereum' | 'tron'), $since, $until (DATE, inclusive), $token.
-- $token: a symbol (USDT, USDC) or a token address; `token` shows the symbol, `token_address` the contract.
WITH sides AS (
    SELECT chain, token, CAST(timezone('UTC', block_time) AS DATE) AS day, amount, from_entity, to_entity
    FROM labeled_transfer_sides($chain, $since, $until)
),
totals AS (
    SELECT chain, token, day, sum(amount) AS day_volume, count(*) AS day_transfers,
           coalesce(sum(amount) FILTER (WHERE from_entity IS NOT NULL OR to_entity IS NOT NULL), 0) AS labeled_volume,
           count(*) FILTER (WHERE from_entity IS NOT NULL OR to_entity IS NOT NULL) AS labeled_transfers
    FROM sides GROUP BY ALL
),
touched AS (
    SELECT chain, token, day, from_entity AS entity, amount FROM sides WHERE from_entity IS NOT NULL
    UNION ALL
    SELECT chain, token, day, to_entity, amount FROM sides
    WHERE to_entity IS NOT NULL AND to_entity IS DISTINCT FROM from_entity
),
per_entity AS (
    SELECT chain, token, day, entity, sum(amount) AS volume, count(*) AS transfers FROM touched GROUP BY ALL
)
SELECT chain, day, entity, CAST(volume AS amount) AS volume, transfers, CAST(day_volume AS amount) AS day_volume,
       CAST(round(100 * volume / day_volume, 2) AS DECIMAL(5, 2)) AS share_pct, k.symbol AS token,
       c.token AS token_address
FROM (
    SELECT t.chain, t.token, t.day, '(any label)' AS entity, t.labeled_volume AS volume,
           t.labeled_transfers AS transfers, t.day_volume, 0 AS rank
    FROM totals t
    UNION ALL
    SELECT e.chain, e.token, e.day, e.entity, e.volume, e.transfers, t.day_volume, 1
    FROM per_entity e JOIN totals t USING (chain, token, day)
) c
JOIN tokens_named($token) k USING (chain, token)
ORDER BY chain, token_address, day, rank, volume DESC, entity;
