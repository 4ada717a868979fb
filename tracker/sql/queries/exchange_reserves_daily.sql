-- USDT held by each exchange entity at the end of every synced UTC day (the sum of its labeled wallets'
-- balances, derived from balanceOf anchors and indexed changes), per token (last column; two tokens' balances
-- are separate rows). reserve_end is NULL while a wallet of the entity has no anchor yet.
-- Parameters (NULL = no filter): $chain, $since, $until (DATE, inclusive).
SELECT chain, day, entity, reserve_end, wallets, anchored_wallets, token
FROM exchange_reserves_by_day
WHERE ($chain IS NULL OR chain = $chain)
  AND ($since IS NULL OR day >= CAST($since AS DATE))
  AND ($until IS NULL OR day <= CAST($until AS DATE))
ORDER BY day, chain, entity, token;
