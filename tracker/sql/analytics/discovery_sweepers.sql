-- Clustering: unlabeled addresses that behave like one exchange's deposit addresses (README, Clustering).
-- Each forwarded ≥ 90 % of what it received, every send within 24 h after a receipt, at least $min_sweeps
-- sends, and every send that reached a known exchange wallet reached the same exchange. Those whose every
-- send reached that exchange (all_to_entity) are its deposit addresses; the others' unknown destinations
-- are hot-wallet candidates. One pass over the window groups senders; the timing check reads only the
-- candidates' legs (an ASOF join to the latest receipt at or before each send).
CREATE OR REPLACE TEMP TABLE discovery_sweepers AS
WITH window_legs AS (
    -- each token at its own decimals (tokens.unit), so the sums below add like with like
    SELECT t.from_id, t.to_id, t.block_time, token_amount(t.amount_raw, k.unit) AS amount
    FROM transfer_logs t JOIN token_units k ON k.chain = t.chain AND k.token = t.token
    WHERE t.chain = $chain AND t.supply_leg IS NULL AND t.from_id <> t.to_id
      AND ($since IS NULL OR t.block_time >= CAST($since AS DATE))
),
senders AS (
    SELECT t.from_id AS address_id, min(w.entity) AS entity, count(*) AS sweeps,
           count(*) = count(w.entity) AS all_to_entity, sum(t.amount) AS forwarded,
           coalesce(sum(t.amount) FILTER (WHERE w.entity IS NOT NULL), 0) AS to_entity,
           min(t.block_time) AS first_sweep, max(t.block_time) AS last_sweep
    FROM window_legs t LEFT JOIN discovery_wallets w ON w.address_id = t.to_id
    WHERE t.from_id NOT IN (SELECT address_id FROM discovery_known)
      AND t.from_id NOT IN (SELECT address_id FROM discovery_wallets)
    GROUP BY t.from_id
    -- min = max: one exchange among the known destinations (cheaper than a distinct count per sender)
    HAVING min(w.entity) = max(w.entity) AND count(*) >= $min_sweeps
),
receipts AS (
    SELECT to_id AS address_id, block_time, amount FROM window_legs
    WHERE to_id IN (SELECT address_id FROM senders)
),
sends AS (
    SELECT from_id AS address_id, block_time FROM window_legs
    WHERE from_id IN (SELECT address_id FROM senders)
),
late AS (
    SELECT s.address_id,
           count(*) FILTER (WHERE r.block_time IS NULL OR r.block_time < s.block_time - INTERVAL 24 HOUR) AS late
    FROM sends s ASOF LEFT JOIN receipts r ON s.address_id = r.address_id AND s.block_time >= r.block_time
    GROUP BY s.address_id
),
received AS (
    SELECT address_id, sum(amount) AS received, min(block_time) AS first_receipt FROM receipts GROUP BY address_id
)
SELECT s.address_id, s.entity, s.sweeps, s.all_to_entity, r.received, s.forwarded, s.to_entity,
       least(r.first_receipt, s.first_sweep) AS first_seen, s.last_sweep AS last_seen
FROM senders s JOIN received r USING (address_id) JOIN late l USING (address_id)
WHERE l.late = 0 AND s.forwarded >= 0.9 * r.received
  -- a sweeper with other destinations still sends most of its value to the exchange (not a user paying around)
  AND (s.all_to_entity OR s.to_entity * 2 >= s.forwarded);
