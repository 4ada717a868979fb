-- Per chain, token and exchange entity: reserves at the end of UTC day `day_value` (as
-- exchange_reserves_by_day, NULL when a wallet of the entity has no anchor read at or after the day's end;
-- no rows for a day the chain is not synced over). Grouped by token: two tokens' balances never add up.
CREATE OR REPLACE MACRO exchange_reserves_on(day_value) AS TABLE
SELECT s.chain, s.token, d.day, l.entity,
       CASE WHEN count(w.balance_end) = count(*) THEN CAST(sum(w.balance_end) AS amount) END AS reserve_end,
       count(*) AS wallets,
       count(w.balance_end) AS anchored_wallets
FROM sync_state s
JOIN synced_days d ON d.chain = s.chain AND d.token = s.token AND d.day = CAST(day_value AS DATE)
JOIN flow_labels l ON l.chain = s.chain AND l.category = 'exchange'
    AND (l.valid_from IS NULL OR l.valid_from < timezone('UTC', CAST(CAST(day_value AS DATE) + 1 AS TIMESTAMP)))
    AND (l.valid_to IS NULL OR l.valid_to >= timezone('UTC', CAST(CAST(day_value AS DATE) + 1 AS TIMESTAMP)))
LEFT JOIN wallet_balances_on(day_value) w ON w.chain = s.chain AND w.token = s.token AND w.address = l.address
GROUP BY s.chain, s.token, d.day, l.entity;
