-- The same for the watched wallets only (all that reserves and `tracker verify` read): transfers matched
-- by id, without looking up every address.
CREATE OR REPLACE VIEW watched_balance_changes AS
SELECT t.chain, t.token, w.address, t.block_number, t.block_time, t.amount_raw AS delta,
       token_amount(t.amount_raw, k.unit) AS delta_amount
FROM transfer_logs t JOIN token_units k ON k.chain = t.chain AND k.token = t.token
     JOIN watched_addresses w ON w.address_id = t.to_id
UNION ALL
SELECT t.chain, t.token, w.address, t.block_number, t.block_time, -t.amount_raw, -token_amount(t.amount_raw, k.unit)
FROM transfer_logs t JOIN token_units k ON k.chain = t.chain AND k.token = t.token
     JOIN watched_addresses w ON w.address_id = t.from_id
UNION ALL
SELECT * FROM supply_balance_changes;
