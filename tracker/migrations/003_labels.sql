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

-- Every transfer with the exchange (or issuer) on each side at its block time, and its flow type.
CREATE VIEW transfer_flows AS
WITH sides AS (
    SELECT
        t.*,
        (SELECT min(l.entity) FROM labels l
          WHERE l.chain = t.chain AND l.address = t.from_address AND l.category = 'exchange'
            AND (l.valid_from IS NULL OR t.block_time >= l.valid_from)
            AND (l.valid_to IS NULL OR t.block_time < l.valid_to)) AS from_entity,
        (SELECT min(l.entity) FROM labels l
          WHERE l.chain = t.chain AND l.address = t.to_address AND l.category = 'exchange'
            AND (l.valid_from IS NULL OR t.block_time >= l.valid_from)
            AND (l.valid_to IS NULL OR t.block_time < l.valid_to)) AS to_entity
    FROM transfers t
)
SELECT
    *,
    CASE
        WHEN supply_leg = 'mint' THEN 'mint_leg'
        WHEN supply_leg = 'burn' THEN 'burn_leg'
        WHEN from_entity IS NOT NULL AND to_entity IS NOT NULL AND from_entity = to_entity THEN 'internal'
        WHEN from_entity IS NOT NULL AND to_entity IS NOT NULL THEN 'cross_exchange'
        WHEN to_entity IS NOT NULL THEN 'inflow'
        WHEN from_entity IS NOT NULL THEN 'outflow'
        ELSE 'other'
    END AS flow_type
FROM sides;

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
