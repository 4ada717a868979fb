-- Unlabeled addresses that behave like one exchange's user deposit addresses (README, Deposit-address
-- discovery): everything they sent went to that exchange's labeled wallets, each sweep within 24 h of a
-- receipt, ≥ 90 % of what they received forwarded, at least $min_sweeps times, since $since.
WITH known AS (
    SELECT DISTINCT chain, address FROM labels WHERE source <> 'discovered'
),
exchange_wallets AS (
    SELECT chain, address, min(entity) AS entity FROM labels
    WHERE category = 'exchange' AND source <> 'discovered' GROUP BY ALL
),
window_transfers AS (
    SELECT * FROM transfers
    WHERE chain = $chain AND supply_leg IS NULL AND from_address <> to_address
      AND ($since IS NULL OR block_time >= CAST($since AS DATE))
),
sent AS (
    SELECT t.from_address AS address, t.amount, t.block_time, e.entity,
           EXISTS (SELECT 1 FROM window_transfers r WHERE r.to_address = t.from_address
                   AND r.block_time <= t.block_time AND r.block_time >= t.block_time - INTERVAL 24 HOUR) AS after_receipt
    FROM window_transfers t
    LEFT JOIN exchange_wallets e ON e.chain = t.chain AND e.address = t.to_address
    WHERE NOT EXISTS (SELECT 1 FROM known k WHERE k.chain = t.chain AND k.address = t.from_address)
),
senders AS (
    SELECT address, min(entity) AS entity, count(DISTINCT entity) AS entities,
           count(*) FILTER (WHERE entity IS NULL) AS elsewhere,
           count(*) FILTER (WHERE NOT after_receipt) AS late,
           count(*) AS sweeps, sum(amount) AS forwarded, min(block_time) AS first_sweep, max(block_time) AS last_sweep
    FROM sent GROUP BY address
),
received AS (
    SELECT to_address AS address, sum(amount) AS received, min(block_time) AS first_receipt
    FROM window_transfers GROUP BY to_address
)
SELECT s.address, s.entity, s.sweeps, r.received, s.forwarded, least(r.first_receipt, s.first_sweep), s.last_sweep
FROM senders s JOIN received r USING (address)
WHERE s.entities = 1 AND s.elsewhere = 0 AND s.late = 0 AND s.sweeps >= $min_sweeps
  AND s.forwarded >= 0.9 * r.received
ORDER BY s.entity, s.address;
