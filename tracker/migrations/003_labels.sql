-- Who owns a wallet. Only category 'exchange' makes exchange flows; Tether's treasury is 'issuer'.
CREATE TABLE labels (
    chain        VARCHAR     NOT NULL,
    address      VARCHAR     NOT NULL,  -- stored like transfers: lower-case 0x hex (ethereum), base58 (tron)
    entity       VARCHAR     NOT NULL,
    category     VARCHAR     NOT NULL CHECK (category IN ('exchange', 'issuer', 'bridge', 'other')),
    wallet_type  VARCHAR     NOT NULL CHECK (wallet_type IN ('hot', 'cold', 'deposit', 'treasury', 'unknown')),
    source       VARCHAR     NOT NULL,
    valid_from   TIMESTAMPTZ,           -- NULL: since ever
    valid_to     TIMESTAMPTZ            -- NULL: still valid; exclusive
);

-- The labels flows and reserves use. Discovered deposit addresses (source 'discovered', see
-- `tracker labels discover`) count only when the session variable with_discovered is true
-- (`--with-discovered`, or SET VARIABLE with_discovered = true in the duckdb CLI).
CREATE VIEW flow_labels AS
SELECT * FROM labels
WHERE source <> 'discovered' OR coalesce(TRY_CAST(getvariable('with_discovered') AS BOOLEAN), false);

-- Every transfer with the exchange on each side at its block time, and its flow type.
-- Imports keep at most one label per address at any moment, so each join matches at most one row.
CREATE VIEW transfer_flows AS
SELECT
    t.*,
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
    END AS flow_type
FROM transfers t
LEFT JOIN flow_labels from_label
    ON from_label.chain = t.chain AND from_label.address = t.from_address AND from_label.category = 'exchange'
    AND (from_label.valid_from IS NULL OR t.block_time >= from_label.valid_from)
    AND (from_label.valid_to IS NULL OR t.block_time < from_label.valid_to)
LEFT JOIN flow_labels to_label
    ON to_label.chain = t.chain AND to_label.address = t.to_address AND to_label.category = 'exchange'
    AND (to_label.valid_from IS NULL OR t.block_time >= to_label.valid_from)
    AND (to_label.valid_to IS NULL OR t.block_time < to_label.valid_to);

-- One row per (transfer, exchange side) that counts: what each entity received and sent.
CREATE VIEW exchange_flow_legs AS
SELECT chain, to_entity AS entity, block_time, tx_hash, log_index, amount, 'in' AS direction,
       flow_type = 'cross_exchange' AS cross_exchange
FROM transfer_flows WHERE flow_type IN ('inflow', 'cross_exchange')
UNION ALL
SELECT chain, from_entity AS entity, block_time, tx_hash, log_index, amount, 'out' AS direction,
       flow_type = 'cross_exchange' AS cross_exchange
FROM transfer_flows WHERE flow_type IN ('outflow', 'cross_exchange');

-- Hourly (UTC) totals per chain and exchange entity: the one place flows are summed.
CREATE VIEW exchange_flows_by_hour AS
SELECT
    chain,
    date_trunc('hour', timezone('UTC', block_time)) AS hour,
    entity,
    CAST(coalesce(sum(amount) FILTER (WHERE direction = 'in'), 0) AS DECIMAL(38, 6)) AS inflow,
    CAST(coalesce(sum(amount) FILTER (WHERE direction = 'out'), 0) AS DECIMAL(38, 6)) AS outflow,
    CAST(coalesce(sum(amount) FILTER (WHERE direction = 'in' AND cross_exchange), 0) AS DECIMAL(38, 6)) AS cross_in,
    CAST(coalesce(sum(amount) FILTER (WHERE direction = 'out' AND cross_exchange), 0) AS DECIMAL(38, 6)) AS cross_out,
    count(*) AS transfers
FROM exchange_flow_legs
GROUP BY ALL;
