-- USDT held by each exchange entity at the end of every synced UTC day (the sum of its labeled wallets'
-- balances, derived from balanceOf anchors and indexed changes), per token (last column; two tokens' balances
-- are separate rows). reserve_end is NULL while a wallet of the entity has no anchor yet.
-- Parameters (NULL = no filter): $chain, $since, $until (DATE, inclusive), $token.
-- $token: a symbol (USDT, USDC) or a token address; `token` shows the symbol, `token_address` the contract.
SELECT r.chain, r.day, r.entity, r.reserve_end, r.wallets, r.anchored_wallets, k.symbol AS token, r.token AS token_address
FROM exchange_reserves_by_day r
JOIN tokens_named($token) k ON k.chain = r.chain AND k.token = r.token
WHERE ($chain IS NULL OR r.chain = $chain)
  AND ($since IS NULL OR day >= CAST($since AS DATE))
  AND ($until IS NULL OR day <= CAST($until AS DATE))
ORDER BY r.day, r.chain, r.entity, token, token_address;
