-- Reserves of each exchange entity at the end of one UTC day, read from the first balance anchor at or
-- after the day's end minus the changes since (fast on years of data; exchange_reserves_daily gives every
-- day), per token (last column). reserve_end is NULL while a wallet of the entity has no such anchor.
-- Parameters: $day (DATE, required).
SELECT chain, day, entity, reserve_end, wallets, anchored_wallets, token
FROM exchange_reserves_on($day)
ORDER BY chain, entity, token;
