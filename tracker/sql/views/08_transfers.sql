-- Every transfer as it was stored before this migration (same columns, same values).
CREATE OR REPLACE VIEW transfers AS
SELECT t.chain, t.token, t.block_number, t.block_time, tx_hash_text(t.chain, t.tx_hash) AS tx_hash, t.log_index,
       f.address AS from_address, r.address AS to_address, t.amount_raw, token_amount(t.amount_raw, k.unit) AS amount,
       t.supply_leg
FROM transfer_logs t JOIN token_units k ON k.chain = t.chain AND k.token = t.token
     JOIN addresses f ON f.address_id = t.from_id JOIN addresses r ON r.address_id = t.to_id;
