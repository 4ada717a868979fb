-- Exchange labels (as flow_labels counts them) by address id.
CREATE OR REPLACE VIEW exchange_label_ids AS
SELECT l.chain, w.address_id, l.entity, l.valid_from, l.valid_to, l.method
FROM flow_labels l JOIN watched_addresses w USING (address)
WHERE l.category = 'exchange';
