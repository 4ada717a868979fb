-- token kept on every leg: the sums over legs group by it, so two tokens of a chain are never added up.
CREATE OR REPLACE VIEW exchange_flow_legs AS
SELECT chain, token, to_entity AS entity, block_time, tx_hash, log_index, amount, 'in' AS direction,
       flow_type = 'cross_exchange' AS cross_exchange, to_method AS method
FROM transfer_flow_ids WHERE flow_type IN ('inflow', 'cross_exchange')
UNION ALL
SELECT chain, token, from_entity AS entity, block_time, tx_hash, log_index, amount, 'out' AS direction,
       flow_type = 'cross_exchange' AS cross_exchange, from_method AS method
FROM transfer_flow_ids WHERE flow_type IN ('outflow', 'cross_exchange');
