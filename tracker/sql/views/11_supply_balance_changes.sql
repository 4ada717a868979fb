-- The balance changes supply events make (as in 005): DestroyedBlackFunds (-), and Issue (+) / Redeem (-)
-- for the token owner when the transaction has no zero-address Transfer leg of that token (another token's
-- legs in the same transaction move only that token's balances).
CREATE OR REPLACE VIEW supply_balance_changes AS
SELECT chain, token, address, block_number, block_time, -amount_raw AS delta, -CAST(amount AS amount) AS delta_amount
FROM supply_events
WHERE kind = 'destroyed_black_funds'
UNION ALL
SELECT s.chain, s.token, o.owner, s.block_number, s.block_time,
       CASE s.kind WHEN 'issue' THEN s.amount_raw ELSE -s.amount_raw END,
       CAST(CASE s.kind WHEN 'issue' THEN s.amount ELSE -s.amount END AS amount)
FROM supply_events s
JOIN (SELECT chain, token, arg_min(owner, block_number) AS owner FROM supply_anchors GROUP BY ALL) o
  USING (chain, token)
WHERE s.kind IN ('issue', 'redeem') AND o.owner IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM transfer_logs t WHERE t.supply_leg IS NOT NULL AND t.chain = s.chain
                  AND t.token = s.token AND tx_hash_text(t.chain, t.tx_hash) = s.tx_hash);
