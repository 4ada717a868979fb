-- Transfers of a chain (NULL = every chain) between two UTC days (inclusive; NULL = open), mint/burn legs and
-- self-transfers aside, with the entity labeled on each side at the block time — any category, as
-- flow_labels counts them (discovered labels only with with_discovered): what label coverage reads.
CREATE OR REPLACE MACRO labeled_transfer_sides(chain_name, first_day, last_day) AS TABLE
WITH labeled AS (
    SELECT l.chain, w.address_id, l.entity, l.valid_from, l.valid_to
    FROM flow_labels l JOIN watched_addresses w USING (address)
)
SELECT t.chain, t.token, t.block_time, t.from_id, t.to_id, token_amount(t.amount_raw, k.unit) AS amount, f.entity AS from_entity, r.entity AS to_entity
FROM transfer_logs t
JOIN token_units k ON k.chain = t.chain AND k.token = t.token  -- amounts at each token's decimals: tokens add up
LEFT JOIN labeled f ON f.chain = t.chain AND f.address_id = t.from_id
    AND (f.valid_from IS NULL OR t.block_time >= f.valid_from) AND (f.valid_to IS NULL OR t.block_time < f.valid_to)
LEFT JOIN labeled r ON r.chain = t.chain AND r.address_id = t.to_id
    AND (r.valid_from IS NULL OR t.block_time >= r.valid_from) AND (r.valid_to IS NULL OR t.block_time < r.valid_to)
WHERE t.supply_leg IS NULL AND t.from_id <> t.to_id AND (chain_name IS NULL OR t.chain = chain_name)
  AND (first_day IS NULL OR t.block_time >= timezone('UTC', CAST(CAST(first_day AS DATE) AS TIMESTAMP)))
  AND (last_day IS NULL OR t.block_time < timezone('UTC', CAST(CAST(last_day AS DATE) + 1 AS TIMESTAMP)));
