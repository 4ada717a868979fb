-- transfer_flows without the wallet addresses: what the flow sums read (no address lookups per row).
CREATE OR REPLACE VIEW transfer_flow_ids AS
SELECT
    t.chain, t.token, t.block_number, t.block_time, tx_hash_text(t.chain, t.tx_hash) AS tx_hash, t.log_index,
    t.from_id, t.to_id, t.amount_raw, token_amount(t.amount_raw, k.unit) AS amount, t.supply_leg,
    from_label.entity AS from_entity,
    to_label.entity AS to_entity,
    CASE
        WHEN t.supply_leg = 'mint' THEN 'mint_leg'
        WHEN t.supply_leg = 'burn' THEN 'burn_leg'
        WHEN from_label.entity IS NOT NULL AND to_label.entity IS NOT NULL AND from_label.entity = to_label.entity
            THEN 'internal'
        WHEN from_label.entity IS NOT NULL AND to_label.entity IS NOT NULL THEN 'cross_exchange'
        WHEN to_label.entity IS NOT NULL THEN 'inflow'
        WHEN from_label.entity IS NOT NULL THEN 'outflow'
        ELSE 'other'
    END AS flow_type,
    from_label.method AS from_method,  -- how each side's label was made (bundled, imported, discovered:…)
    to_label.method AS to_method
FROM transfer_logs t
JOIN token_units k ON k.chain = t.chain AND k.token = t.token  -- each token at its own decimals
LEFT JOIN exchange_label_ids from_label
    ON from_label.chain = t.chain AND from_label.address_id = t.from_id
    AND (from_label.valid_from IS NULL OR t.block_time >= from_label.valid_from)
    AND (from_label.valid_to IS NULL OR t.block_time < from_label.valid_to)
LEFT JOIN exchange_label_ids to_label
    ON to_label.chain = t.chain AND to_label.address_id = t.to_id
    AND (to_label.valid_from IS NULL OR t.block_time >= to_label.valid_from)
    AND (to_label.valid_to IS NULL OR t.block_time < to_label.valid_to);
