-- The same for the watched wallets only (all that reserves and `tracker verify` read): transfers matched
-- by id, without looking up every address.
CREATE OR REPLACE VIEW watched_balance_changes AS
SELECT t.chain, t.token, w.address, t.block_number, t.block_time, t.amount_raw AS delta,
       usdt_amount(t.amount_raw) AS delta_amount
FROM transfer_logs t JOIN watched_addresses w ON w.address_id = t.to_id
UNION ALL
SELECT t.chain, t.token, w.address, t.block_number, t.block_time, -t.amount_raw, -usdt_amount(t.amount_raw)
FROM transfer_logs t JOIN watched_addresses w ON w.address_id = t.from_id
UNION ALL
SELECT * FROM supply_balance_changes;
