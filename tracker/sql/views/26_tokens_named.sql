-- The tokens a `$token` parameter names: a symbol (any case) or a contract address as stored (an Ethereum
-- address in any case); NULL names every synced token. `symbol` is what outputs show as `token` (the address
-- when the token has no symbol). Named queries filter and label with it, so each reads tokens one way.
CREATE OR REPLACE MACRO tokens_named(wanted) AS TABLE
SELECT chain, token, coalesce(symbol, token) AS symbol FROM tokens
WHERE wanted IS NULL OR upper(symbol) = upper(wanted) OR token = wanted OR token = lower(wanted);
