-- Per chain and UTC day: USDT minted (Issue), redeemed (Redeem), destroyed (DestroyedBlackFunds),
-- net_issuance = minted - redeemed - destroyed, and total_supply_end: totalSupply() read from the node at
-- the earliest anchor, moved by every indexed supply event, at the end of the day.
-- One row per day from the first to the last synced block's day, per synced token (view supply_by_day,
-- which also names the token; these columns are the export's contract and the report's table).
-- Parameters (NULL = no filter): $chain, $since, $until (DATE, inclusive), $token.
-- $token: a symbol (USDT, USDC) or a token address; `token` shows the symbol, `token_address` the contract.
SELECT s.chain, s.day, s.minted, s.redeemed, s.destroyed, s.net_issuance, s.total_supply_end, k.symbol AS token,
       s.token AS token_address
FROM supply_by_day s
JOIN tokens_named($token) k ON k.chain = s.chain AND k.token = s.token
WHERE ($chain IS NULL OR s.chain = $chain)
  AND ($since IS NULL OR day >= CAST($since AS DATE))
  AND ($until IS NULL OR day <= CAST($until AS DATE))
ORDER BY s.day, s.chain, token, token_address;
