-- How much of a UTC day's exchange flow each kind of label carried, per chain and token: a transfer's
-- inflow counts for the method of the receiving wallet's label, its outflow for the sending one's (bundled,
-- imported, discovered:deposit, discovered:hot). share_pct: of the chain's inflow + outflow that day.
-- Discovered labels appear only with --with-discovered (SET VARIABLE with_discovered = true), as in flows.
-- Parameters: $day (DATE, required), $token (NULL = every token).
-- $token: a symbol (USDT, USDC) or a token address; `token` shows the symbol, `token_address` the contract.
WITH legs AS (
    SELECT chain, token, method, direction, amount FROM exchange_flow_legs
    WHERE block_time >= timezone('UTC', CAST(CAST($day AS DATE) AS TIMESTAMP))
      AND block_time < timezone('UTC', CAST(CAST($day AS DATE) + 1 AS TIMESTAMP))
),
by_method AS (
    SELECT chain, token, method,
           CAST(coalesce(sum(amount) FILTER (WHERE direction = 'in'), 0) AS amount) AS inflow,
           CAST(coalesce(sum(amount) FILTER (WHERE direction = 'out'), 0) AS amount) AS outflow,
           count(*) AS transfers
    FROM legs GROUP BY ALL
)
SELECT chain, method, inflow, outflow, transfers,
       CAST(round(100 * (inflow + outflow) / sum(inflow + outflow) OVER (PARTITION BY chain, token), 1) AS DECIMAL(5, 1))
           AS share_pct,
       k.symbol AS token, b.token AS token_address
FROM by_method b JOIN tokens_named($token) k USING (chain, token)
ORDER BY chain, token_address, inflow + outflow DESC, method;
