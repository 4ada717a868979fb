-- balanceOf of every labeled wallet, read from the node at a synced block (the last block of each sync).
CREATE TABLE balance_anchors (
    chain         VARCHAR       NOT NULL,
    token         VARCHAR       NOT NULL,
    address       VARCHAR       NOT NULL,
    block_number  BIGINT        NOT NULL,
    balance_raw   DECIMAL(38,0) NOT NULL,
    balance       DECIMAL(38,6) NOT NULL,  -- balance_raw / 10^6, exact
    PRIMARY KEY (chain, token, address, block_number)
);

-- totalSupply() and owner() at the same blocks: Issue/Redeem name no address, they credit/debit the owner.
CREATE TABLE supply_anchors (
    chain             VARCHAR       NOT NULL,
    token             VARCHAR       NOT NULL,
    block_number      BIGINT        NOT NULL,
    total_supply_raw  DECIMAL(38,0) NOT NULL,
    total_supply      DECIMAL(38,6) NOT NULL,
    owner             VARCHAR,
    PRIMARY KEY (chain, token, block_number)
);

-- Every change to a wallet's balance that the index knows, per block, raw (delta) and in USDT (delta_amount):
-- transfers in (+) and out (-), DestroyedBlackFunds (-), and Issue (+) / Redeem (-) for the token owner
-- when the transaction has no zero-address Transfer leg (Ethereum's layout; Tron's legs are transfers).
-- The owner is the one read at the earliest supply anchor (assumed not to change).
CREATE VIEW balance_changes AS
SELECT chain, token, to_address AS address, block_number, block_time, amount_raw AS delta, amount AS delta_amount
FROM transfers
UNION ALL
SELECT chain, token, from_address, block_number, block_time, -amount_raw, -amount FROM transfers
UNION ALL
SELECT chain, token, address, block_number, block_time, -amount_raw, -amount FROM supply_events
WHERE kind = 'destroyed_black_funds'
UNION ALL
SELECT s.chain, s.token, o.owner, s.block_number, s.block_time,
       CASE s.kind WHEN 'issue' THEN s.amount_raw ELSE -s.amount_raw END,
       CASE s.kind WHEN 'issue' THEN s.amount ELSE -s.amount END
FROM supply_events s
JOIN (SELECT chain, token, arg_min(owner, block_number) AS owner FROM supply_anchors GROUP BY ALL) o
  USING (chain, token)
WHERE s.kind IN ('issue', 'redeem') AND o.owner IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM transfers t WHERE t.chain = s.chain AND t.tx_hash = s.tx_hash AND t.supply_leg IS NOT NULL);

-- The days a chain/token is synced over (UTC), for dense daily series.
CREATE VIEW synced_days AS
SELECT s.chain, s.token, CAST(unnest(generate_series(
           CAST(timezone('UTC', min(b.block_time)) AS DATE),
           CAST(timezone('UTC', max(b.block_time)) AS DATE), INTERVAL 1 DAY)) AS DATE) AS day
FROM sync_state s JOIN blocks b ON b.chain = s.chain AND b.block_number <= s.last_block
GROUP BY s.chain, s.token;

-- Each anchored wallet's balance at the end of every synced UTC day: its earliest anchor, plus the
-- changes after the anchor up to that day, minus the changes before the anchor that came after that day.
CREATE VIEW wallet_balances_daily AS
WITH anchor AS (
    -- anchors read at the head of a node that serves only `latest` count once the index reaches them
    SELECT b.chain, b.token, b.address, min(b.block_number) AS anchor_block,
           arg_min(b.balance, b.block_number) AS anchor_balance
    FROM balance_anchors b JOIN sync_state s ON s.chain = b.chain AND s.token = b.token
    WHERE b.block_number <= s.last_block
    GROUP BY ALL
),
per_day AS (
    SELECT c.chain, c.token, c.address, CAST(timezone('UTC', c.block_time) AS DATE) AS day,
           coalesce(sum(c.delta_amount) FILTER (WHERE c.block_number > a.anchor_block), 0) AS after_anchor,
           coalesce(sum(c.delta_amount) FILTER (WHERE c.block_number <= a.anchor_block), 0) AS before_anchor
    FROM balance_changes c JOIN anchor a USING (chain, token, address)
    GROUP BY ALL
)
SELECT a.chain, a.token, a.address, d.day,
       CAST(a.anchor_balance
            + sum(coalesce(p.after_anchor, 0)) OVER (PARTITION BY a.chain, a.token, a.address ORDER BY d.day
                                                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
            - coalesce(sum(coalesce(p.before_anchor, 0)) OVER (PARTITION BY a.chain, a.token, a.address ORDER BY d.day
                                                     ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING), 0)
            AS DECIMAL(38, 6)) AS balance_end
FROM anchor a
JOIN synced_days d USING (chain, token)
LEFT JOIN per_day p ON p.chain = a.chain AND p.token = a.token AND p.address = a.address AND p.day = d.day;

-- Per chain, exchange entity and UTC day: the sum of the wallets labeled for it at the end of the day;
-- NULL when one of those wallets has no balance anchor yet (the next sync reads it).
CREATE VIEW exchange_reserves_by_day AS
SELECT d.chain, d.day, l.entity,
       CASE WHEN count(w.balance_end) = count(*) THEN CAST(sum(w.balance_end) AS DECIMAL(38, 6)) END AS reserve_end,
       count(*) AS wallets,
       count(w.balance_end) AS anchored_wallets
FROM synced_days d
JOIN flow_labels l ON l.chain = d.chain AND l.category = 'exchange'
    AND (l.valid_from IS NULL OR l.valid_from < CAST(d.day + 1 AS TIMESTAMPTZ))
    AND (l.valid_to IS NULL OR l.valid_to >= CAST(d.day + 1 AS TIMESTAMPTZ))
LEFT JOIN wallet_balances_daily w ON w.chain = d.chain AND w.token = d.token AND w.address = l.address AND w.day = d.day
GROUP BY d.chain, d.day, l.entity;
