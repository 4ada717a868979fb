-- The addresses an analyst should label next: unlabeled addresses ranked by the USDT they moved with labeled
-- wallets between two UTC days, each with the labeled entity it dealt with most (top_entity, its volume
-- and share). volume_with_labeled counts both directions; entities: how many labeled entities it dealt with.
-- Discovered labels count as labels only with --with-discovered.
-- Parameters (NULL = no filter): $chain, $since, $until (DATE, inclusive), $top (how many, default 20).
WITH sides AS (
    SELECT chain, from_id, to_id, amount_raw, from_entity, to_entity FROM labeled_transfer_sides($chain, $since, $until)
),
dealings AS (
    SELECT chain, to_id AS address_id, from_entity AS entity, amount_raw FROM sides
    WHERE from_entity IS NOT NULL AND to_entity IS NULL
    UNION ALL
    SELECT chain, from_id, to_entity, amount_raw FROM sides WHERE to_entity IS NOT NULL AND from_entity IS NULL
),
per_entity AS (
    SELECT chain, address_id, entity, sum(amount_raw) AS volume, count(*) AS transfers FROM dealings GROUP BY ALL
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
SELECT t.chain, a.address, usdt_amount(t.with_labeled) AS volume_with_labeled, t.all_transfers AS transfers,
       t.entity AS top_entity, usdt_amount(t.volume) AS top_entity_volume,
       CAST(round(100 * t.volume / t.with_labeled, 1) AS DECIMAL(4, 1)) AS top_entity_pct, t.entities
FROM top t JOIN addresses a USING (address_id)
ORDER BY t.with_labeled DESC, t.chain, a.address
LIMIT coalesce(CAST($top AS BIGINT), 20);
