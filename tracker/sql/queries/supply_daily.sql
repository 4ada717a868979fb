-- Per chain and UTC day: USDT minted (Issue), redeemed (Redeem), destroyed (DestroyedBlackFunds),
-- net_issuance = minted - redeemed - destroyed, and total_supply_end: totalSupply() read from the node at
-- the earliest anchor, moved by every indexed supply event, at the end of the day.
-- One row per day from the first to the last synced block's day, per synced token (view supply_by_day,
-- which also names the token; these columns are the export's contract and the report's table).
-- Parameters (NULL = no filter): $chain, $since, $until (DATE, inclusive).
SELECT chain, day, minted, redeemed, destroyed, net_issuance, total_supply_end
FROM supply_by_day
WHERE ($chain IS NULL OR chain = $chain)
  AND ($since IS NULL OR day >= CAST($since AS DATE))
  AND ($until IS NULL OR day <= CAST($until AS DATE))
ORDER BY day, chain, token;
