-- Clustering: unknown addresses that $min_deposits or more sweepers of one exchange swept to (hot-wallet
-- candidates), with the evidence: sweeps, value swept in, everything received, what came from that exchange
-- (its wallets and sweepers), transfers to or from its known wallets (internal_transfers: refills and
-- top-ups), the distinct addresses outside it that were paid, and what was paid out. An
-- address claimed by two exchanges has two rows (claimants = 2): a conflict, never a label.
WITH window_legs AS (
    -- each token at its own decimals (tokens.unit), so the sums below add like with like
    SELECT t.from_id, t.to_id, t.block_time, token_amount(t.amount_raw, k.unit) AS amount
    FROM transfer_logs t JOIN token_units k ON k.chain = t.chain AND k.token = t.token
    WHERE t.chain = $chain AND t.supply_leg IS NULL AND t.from_id <> t.to_id
      AND ($since IS NULL OR t.block_time >= CAST($since AS DATE))
),
claims AS (
    SELECT t.to_id AS address_id, s.entity, count(DISTINCT t.from_id) AS deposit_senders, count(*) AS sweeps,
           sum(t.amount) AS swept_in, min(t.block_time) AS first_sweep, max(t.block_time) AS last_sweep
    FROM window_legs t JOIN discovery_sweepers s ON s.address_id = t.from_id
    WHERE t.to_id NOT IN (SELECT address_id FROM discovery_known)
      AND t.to_id NOT IN (SELECT address_id FROM discovery_wallets)
    GROUP BY t.to_id, s.entity
    HAVING count(DISTINCT t.from_id) >= $min_deposits
),
claimed AS (
    SELECT *, count(*) OVER (PARTITION BY address_id) AS claimants FROM claims
),
members AS (
    SELECT address_id, entity FROM discovery_wallets UNION ALL SELECT address_id, entity FROM discovery_sweepers
),
inflow AS (
    SELECT c.address_id, c.entity, sum(t.amount) AS received,
           coalesce(sum(t.amount) FILTER (WHERE m.entity = c.entity), 0) AS from_entity,
           count(*) FILTER (WHERE w.entity = c.entity) AS internal_in
    FROM window_legs t JOIN claimed c ON c.address_id = t.to_id LEFT JOIN members m ON m.address_id = t.from_id
    LEFT JOIN discovery_wallets w ON w.address_id = t.from_id
    GROUP BY c.address_id, c.entity
),
outflow AS (
    SELECT c.address_id, c.entity, count(DISTINCT t.to_id) FILTER (WHERE w.entity IS DISTINCT FROM c.entity) AS payees,
           coalesce(sum(t.amount) FILTER (WHERE w.entity IS DISTINCT FROM c.entity), 0) AS paid_out,
           count(*) FILTER (WHERE w.entity = c.entity) AS internal_out, max(t.block_time) AS last_payment
    FROM window_legs t JOIN claimed c ON c.address_id = t.from_id LEFT JOIN discovery_wallets w ON w.address_id = t.to_id
    GROUP BY c.address_id, c.entity
)
SELECT c.address_id, c.entity, c.claimants, c.deposit_senders, c.sweeps, c.swept_in, i.received, i.from_entity,
       i.internal_in + coalesce(o.internal_out, 0) AS internal_transfers, coalesce(o.payees, 0) AS payees, coalesce(o.paid_out, 0) AS paid_out, c.first_sweep AS first_seen,
       greatest(c.last_sweep, o.last_payment) AS last_seen
FROM claimed c JOIN inflow i USING (address_id, entity) LEFT JOIN outflow o USING (address_id, entity)
ORDER BY c.entity, c.address_id;
