-- Every change to a wallet's balance that the index knows (as in 005), from the stored rows.
CREATE OR REPLACE VIEW balance_changes AS
SELECT t.chain, t.token, a.address, t.block_number, t.block_time, t.amount_raw AS delta,
       token_amount(t.amount_raw, k.unit) AS delta_amount
FROM transfer_logs t JOIN token_units k ON k.chain = t.chain AND k.token = t.token
     JOIN addresses a ON a.address_id = t.to_id
UNION ALL
SELECT t.chain, t.token, a.address, t.block_number, t.block_time, -t.amount_raw, -token_amount(t.amount_raw, k.unit)
FROM transfer_logs t JOIN token_units k ON k.chain = t.chain AND k.token = t.token
     JOIN addresses a ON a.address_id = t.from_id
UNION ALL
SELECT * FROM supply_balance_changes;
