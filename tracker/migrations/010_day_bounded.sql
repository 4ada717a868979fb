-- Flows and reserves for given UTC days that read only the transfers they need: the time bounds are on
-- block_time itself, so DuckDB skips storage blocks outside them (a one-day report on years of data
-- reads a day, not the years). The all-history views stay as they were for exports and signals.

-- Hourly (UTC) flows per chain and exchange entity between two UTC days (inclusive; NULL = open):
-- the one place flows are summed (exchange_flows_by_hour is this with no bounds).
CREATE MACRO exchange_flows_for_days(first_day, last_day) AS TABLE
SELECT
    chain,
    date_trunc('hour', timezone('UTC', block_time)) AS hour,
    entity,
    CAST(coalesce(sum(amount) FILTER (WHERE direction = 'in'), 0) AS DECIMAL(38, 6)) AS inflow,
    CAST(coalesce(sum(amount) FILTER (WHERE direction = 'out'), 0) AS DECIMAL(38, 6)) AS outflow,
    CAST(coalesce(sum(amount) FILTER (WHERE direction = 'in' AND cross_exchange), 0) AS DECIMAL(38, 6)) AS cross_in,
    CAST(coalesce(sum(amount) FILTER (WHERE direction = 'out' AND cross_exchange), 0) AS DECIMAL(38, 6)) AS cross_out,
    count(*) AS transfers
FROM exchange_flow_legs
WHERE (first_day IS NULL OR block_time >= timezone('UTC', CAST(CAST(first_day AS DATE) AS TIMESTAMP)))
  AND (last_day IS NULL OR block_time < timezone('UTC', CAST(CAST(last_day AS DATE) + 1 AS TIMESTAMP)))
GROUP BY ALL;

CREATE OR REPLACE VIEW exchange_flows_by_hour AS SELECT * FROM exchange_flows_for_days(NULL, NULL);

-- Each anchored wallet's balance at the end of UTC day `day_value`, from the first anchor read at or after
-- that moment, minus the changes between the two (a scan of the days after, not of all history).
-- Wallets whose anchors all predate the day's end are left out: wallet_balances_daily covers them.
CREATE MACRO wallet_balances_on(day_value) AS TABLE
WITH later_anchor AS (
    SELECT b.chain, b.token, b.address, min(b.block_number) AS anchor_block,
           arg_min(b.balance, b.block_number) AS anchor_balance
    FROM balance_anchors b
    JOIN sync_state s ON s.chain = b.chain AND s.token = b.token AND b.block_number <= s.last_block
    JOIN blocks k ON k.chain = b.chain AND k.block_number = b.block_number
    WHERE k.block_time >= timezone('UTC', CAST(CAST(day_value AS DATE) + 1 AS TIMESTAMP))
    GROUP BY ALL
),
undone AS (
    SELECT c.chain, c.token, c.address, sum(c.delta_amount) AS amount
    FROM balance_changes c JOIN later_anchor a USING (chain, token, address)
    WHERE c.block_time >= timezone('UTC', CAST(CAST(day_value AS DATE) + 1 AS TIMESTAMP))
      AND c.block_number <= a.anchor_block
    GROUP BY ALL
)
SELECT a.chain, a.token, a.address, CAST(a.anchor_balance - coalesce(u.amount, 0) AS DECIMAL(38, 6)) AS balance_end
FROM later_anchor a LEFT JOIN undone u USING (chain, token, address);

-- Per chain and exchange entity: reserves at the end of UTC day `day_value` (as exchange_reserves_by_day,
-- NULL when a wallet of the entity has no anchor read at or after the day's end; no rows for a day the
-- chain is not synced over).
CREATE MACRO exchange_reserves_on(day_value) AS TABLE
SELECT s.chain, d.day, l.entity,
       CASE WHEN count(w.balance_end) = count(*) THEN CAST(sum(w.balance_end) AS DECIMAL(38, 6)) END AS reserve_end,
       count(*) AS wallets,
       count(w.balance_end) AS anchored_wallets
FROM sync_state s
JOIN synced_days d ON d.chain = s.chain AND d.token = s.token AND d.day = CAST(day_value AS DATE)
JOIN flow_labels l ON l.chain = s.chain AND l.category = 'exchange'
    AND (l.valid_from IS NULL OR l.valid_from < timezone('UTC', CAST(CAST(day_value AS DATE) + 1 AS TIMESTAMP)))
    AND (l.valid_to IS NULL OR l.valid_to >= timezone('UTC', CAST(CAST(day_value AS DATE) + 1 AS TIMESTAMP)))
LEFT JOIN wallet_balances_on(day_value) w ON w.chain = s.chain AND w.token = s.token AND w.address = l.address
GROUP BY s.chain, d.day, l.entity;
