-- Every transfer with the exchange on each side at its block time, and its flow type (as in 003).
CREATE OR REPLACE VIEW transfer_flows AS
SELECT t.chain, t.token, t.block_number, t.block_time, t.tx_hash, t.log_index, f.address AS from_address,
       r.address AS to_address, t.amount_raw, t.amount, t.supply_leg, t.from_entity, t.to_entity, t.flow_type
FROM transfer_flow_ids t JOIN addresses f ON f.address_id = t.from_id JOIN addresses r ON r.address_id = t.to_id;
