-- Discovered deposit addresses and hot wallets with their evidence ($chain / $entity NULL = all). Deposit
-- addresses: sweeps made, received, forwarded. Hot wallets: sweeps taken from deposit_senders distinct
-- deposit addresses (swept_in), everything received, payees paid (paid_out),
-- transfers with the exchange's known wallets, the round that found them.
SELECT chain, address, entity, sweeps, CAST(received AS amount) AS received, CAST(forwarded AS amount) AS forwarded, first_seen, last_seen, 'discovered:deposit' AS method,
       NULL::INTEGER AS round, NULL::BIGINT AS deposit_senders, NULL::amount AS swept_in,
       NULL::BIGINT AS payees, NULL::amount AS paid_out, NULL::BIGINT AS internal_transfers
FROM discovered_deposits
WHERE ($chain IS NULL OR chain = $chain) AND ($entity IS NULL OR lower(entity) = lower($entity))
UNION ALL
SELECT chain, address, entity, sweeps, CAST(received AS amount), NULL, first_seen, last_seen, 'discovered:hot',
       round, deposit_senders, CAST(swept_in AS amount), payees, CAST(paid_out AS amount), internal_transfers
FROM discovered_hot_wallets
WHERE ($chain IS NULL OR chain = $chain) AND ($entity IS NULL OR lower(entity) = lower($entity))
ORDER BY chain, entity, method, address
