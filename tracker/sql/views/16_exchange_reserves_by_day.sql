-- Per chain, token, exchange entity and UTC day: the sum of the wallets labeled for it at the end of the day;
-- NULL when one of those wallets has no balance anchor yet (the next sync reads it). Grouped by token: a
-- chain synced for two tokens has a synced day per token, whose balances are never added up.
CREATE OR REPLACE VIEW exchange_reserves_by_day AS
SELECT d.chain, d.token, d.day, l.entity,
       CASE WHEN count(w.balance_end) = count(*) THEN CAST(sum(w.balance_end) AS amount) END AS reserve_end,
       count(*) AS wallets,
       count(w.balance_end) AS anchored_wallets
FROM synced_days d
JOIN flow_labels l ON l.chain = d.chain AND l.category = 'exchange'
    AND (l.valid_from IS NULL OR l.valid_from < CAST(d.day + 1 AS TIMESTAMPTZ))
    AND (l.valid_to IS NULL OR l.valid_to >= CAST(d.day + 1 AS TIMESTAMPTZ))
LEFT JOIN wallet_balances_daily w ON w.chain = d.chain AND w.token = d.token AND w.address = l.address AND w.day = d.day
GROUP BY d.chain, d.token, d.day, l.entity;
