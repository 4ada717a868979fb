-- Discovered deposit addresses and hot wallets with their evidence ($chain / $entity NULL = all). Deposit
-- addresses: sweeps made, received, forwarded. Hot wallets: sweeps taken from deposit_senders distinct
-- deposit addresses (swept_in), everything received, payees paid (paid_out),
-- transfers with the exchange's known wallets, the round that found them.
SELECT chain, address, entity, sweeps, received, forwarded, first_seen, last_seen, 'discovered:deposit' AS method,
       NULL::INTEGER AS round, NULL::BIGINT AS deposit_senders, NULL::DECIMAL(38,6) AS swept_in,
       NULL::BIGINT AS payees, NULL::DECIMAL(38,6) AS paid_out, NULL::BIGINT AS internal_transfers
FROM discovered_deposits
WHERE ($chain IS NULL OR chain = $chain) AND ($entity IS NULL OR lower(entity) = lower($entity))
UNION ALL
SELECT chain, address, entity, sweeps, received, NULL, first_seen, last_seen, 'discovered:hot',
       round, deposit_senders, swept_in, payees, paid_out, internal_transfers
FROM discovered_hot_wallets
WHERE ($chain IS NULL OR chain = $chain) AND ($entity IS NULL OR lower(entity) = lower($entity))
ORDER BY chain, entity, method, address
