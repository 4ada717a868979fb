-- Reserves of each exchange entity at the end of one UTC day, read from the first balance anchor at or
-- after the day's end minus the changes since (fast on years of data; exchange_reserves_daily gives every
-- day), per token (last column). reserve_end is NULL while a wallet of the entity has no such anchor.
-- Parameters: $day (DATE, required).
SELECT r.chain, r.day, r.entity, r.reserve_end, r.wallets, r.anchored_wallets, k.symbol AS token, r.token AS token_address
FROM exchange_reserves_on($day) r
JOIN tokens_named($token) k ON k.chain = r.chain AND k.token = r.token
ORDER BY r.chain, r.entity, token, token_address;
