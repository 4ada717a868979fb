-- Issue 20: tokens of any decimals. `tokens` holds what every synced token is (its symbol and decimals; `unit`
-- = 10^-decimals, what an amount_raw is multiplied by): the views read amounts through it, so each token is
-- scaled by its own decimals and an 18-decimal token stays exact. Until now the tracker refused anything but
-- 6 decimals, so every token already in a file has 6. Stored amounts (supply events, anchors, evidence,
-- signals) and every amount the views show follow the `amount` type's scale (store.fit_amount_type: 6 places
-- while every synced token has 6, so USDT-only outputs read as before; widened when a finer token arrives).
CREATE TABLE tokens (
    chain     VARCHAR       NOT NULL,
    token     VARCHAR       NOT NULL,  -- the contract as stored (Ethereum lower-case 0x hex, Tron base58)
    symbol    VARCHAR,
    decimals  INTEGER       NOT NULL CHECK (decimals BETWEEN 0 AND 18),
    unit      DECIMAL(38,18) NOT NULL,
    PRIMARY KEY (chain, token)
);
INSERT INTO tokens
SELECT chain, token,
       CASE (chain, token)
           WHEN ('ethereum', '0xdac17f958d2ee523a2206206994597c13d831ec7') THEN 'USDT'
           WHEN ('tron', 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t') THEN 'USDT'
           WHEN ('ethereum', '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48') THEN 'USDC'
       END,
       6, 0.000001
FROM (SELECT chain, token FROM sync_state
      UNION SELECT DISTINCT chain, token FROM transfer_logs
      UNION SELECT DISTINCT chain, token FROM supply_events
      UNION SELECT DISTINCT chain, token FROM balance_anchors
      UNION SELECT DISTINCT chain, token FROM supply_anchors);
