-- The addresses an analyst should label next: unlabeled addresses ranked by the USDT they moved with labeled
-- wallets between two UTC days, each with the labeled entity it dealt with most (top_entity, its volume
-- and share). volume_with_labeled counts both directions; entities: how many labeled entities it dealt with.
-- Discovered labels count as labels only with --with-discovered.
-- Parameters (NULL = no filter): $chain, $since, $until (DATE, inclusive), $top (how many, default 20), $token
-- (a symbol or address; NULL: every token, added up in USD at each token's decimals).
WITH sides AS (
    SELECT chain, from_id, to_id, amount, from_entity, to_entity FROM labeled_transfer_sides($chain, $since, $until)
    WHERE (chain, token) IN (SELECT chain, token FROM tokens_named($token))
),
dealings AS (
    SELECT chain, to_id AS address_id, from_entity AS entity, amount FROM sides
    WHERE from_entity IS NOT NULL AND to_entity IS NULL
    UNION ALL
    SELECT chain, from_id, to_entity, amount FROM sides WHERE to_entity IS NOT NULL AND from_entity IS NULL
),
per_entity AS (
    SELECT chain, address_id, entity, sum(amount) AS volume, count(*) AS transfers FROM dealings GROUP BY ALL
),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY chain, address_id ORDER BY volume DESC, entity) AS place,
           sum(volume) OVER (PARTITION BY chain, address_id) AS with_labeled,
           sum(transfers) OVER (PARTITION BY chain, address_id) AS all_transfers,
           count(*) OVER (PARTITION BY chain, address_id) AS entities
    FROM per_entity
),
-- the limit-th largest volume: ties at the cut are ordered by address (not by internal id) below
cutoff AS (
    SELECT with_labeled FROM ranked WHERE place = 1
    ORDER BY with_labeled DESC LIMIT 1 OFFSET coalesce(CAST($top AS BIGINT), 20) - 1
),
top AS (
    SELECT * FROM ranked WHERE place = 1 AND with_labeled >= coalesce((SELECT with_labeled FROM cutoff), 0)
)
SELECT t.chain, a.address, CAST(t.with_labeled AS amount) AS volume_with_labeled, t.all_transfers AS transfers,
       t.entity AS top_entity, CAST(t.volume AS amount) AS top_entity_volume,
       CAST(round(100 * t.volume / t.with_labeled, 1) AS DECIMAL(4, 1)) AS top_entity_pct, t.entities
FROM top t JOIN addresses a USING (address_id)
ORDER BY t.with_labeled DESC, t.chain, a.address
LIMIT coalesce(CAST($top AS BIGINT), 20);
