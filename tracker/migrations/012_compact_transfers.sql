-- Transfers stored compactly (issue 8: ≤ 40 bytes a transfer at 100M). The rows keep what they held, in
-- less space: each wallet address is stored once in `addresses` and transfers point at it by id (two 42-byte
-- strings a row were a third of the file); the transaction hash is kept as its 32 bytes; `amount` is no
-- longer stored, it is amount_raw read at USDT's 6 decimals (the tracker refuses other tokens). `transfers`
-- is now a view with the columns and values it had, so every query over it reads as before; the flow and
-- balance views below read the stored rows directly, matching labels by address id.

-- Wallet addresses, each once; ids are given in order of arrival by the one writing process.
CREATE TABLE addresses (
    address_id  INTEGER NOT NULL,
    address     VARCHAR NOT NULL
);

-- A transaction hash as stored text: Tron's are 64 hex digits, the others 0x + 64 (see decode.ChainFormat).
CREATE MACRO tx_hash_bytes(chain_name, hash_text) AS
    unhex(CASE WHEN chain_name = 'tron' THEN hash_text ELSE hash_text[3:] END);
CREATE MACRO tx_hash_text(chain_name, hash_bytes) AS
    CASE WHEN chain_name = 'tron' THEN '' ELSE '0x' END || lower(hex(hash_bytes));
-- A raw amount in USDT (6 decimals), exactly: DECIMAL(38,0) × DECIMAL(7,6) is DECIMAL(38,6), no rounding.
CREATE MACRO usdt_amount(raw) AS CAST(raw * 0.000001 AS DECIMAL(38, 6));

CREATE TABLE transfer_logs (
    chain         VARCHAR       NOT NULL,
    token         VARCHAR       NOT NULL,
    block_number  BIGINT        NOT NULL,
    block_time    TIMESTAMPTZ   NOT NULL,
    tx_hash       BLOB          NOT NULL,
    log_index     INTEGER       NOT NULL,
    from_id       INTEGER       NOT NULL,
    to_id         INTEGER       NOT NULL,
    amount_raw    DECIMAL(38,0) NOT NULL,
    supply_leg    VARCHAR
);

INSERT INTO addresses
SELECT CAST(row_number() OVER (ORDER BY address) AS INTEGER), address
FROM (SELECT from_address AS address FROM transfers UNION SELECT to_address FROM transfers);

INSERT INTO transfer_logs
SELECT t.chain, t.token, t.block_number, t.block_time, tx_hash_bytes(t.chain, t.tx_hash), t.log_index,
       f.address_id, r.address_id, t.amount_raw, t.supply_leg
FROM transfers t JOIN addresses f ON f.address = t.from_address JOIN addresses r ON r.address = t.to_address
ORDER BY t.chain, t.block_number, t.tx_hash, t.log_index;

DROP TABLE transfers;

-- Every transfer as it was stored before this migration (same columns, same values).
CREATE VIEW transfers AS
SELECT t.chain, t.token, t.block_number, t.block_time, tx_hash_text(t.chain, t.tx_hash) AS tx_hash, t.log_index,
       f.address AS from_address, r.address AS to_address, t.amount_raw, usdt_amount(t.amount_raw) AS amount,
       t.supply_leg
FROM transfer_logs t JOIN addresses f ON f.address_id = t.from_id JOIN addresses r ON r.address_id = t.to_id;

-- Every labeled or anchored address with its id: the wallets flows and reserves watch, found here without
-- reading all of `addresses`. The tracker keeps it whole (store.watch_addresses) whenever it writes labels,
-- anchors or opens the file for writing.
CREATE TABLE watched_addresses (
    address     VARCHAR NOT NULL,
    address_id  INTEGER NOT NULL
);

-- Exchange labels (as flow_labels counts them) by address id.
CREATE VIEW exchange_label_ids AS
SELECT l.chain, w.address_id, l.entity, l.valid_from, l.valid_to
FROM flow_labels l JOIN watched_addresses w USING (address)
WHERE l.category = 'exchange';

-- transfer_flows without the wallet addresses: what the flow sums read (no address lookups per row).
CREATE VIEW transfer_flow_ids AS
SELECT
    t.chain, t.token, t.block_number, t.block_time, tx_hash_text(t.chain, t.tx_hash) AS tx_hash, t.log_index,
    t.from_id, t.to_id, t.amount_raw, usdt_amount(t.amount_raw) AS amount, t.supply_leg,
    from_label.entity AS from_entity,
    to_label.entity AS to_entity,
    CASE
        WHEN t.supply_leg = 'mint' THEN 'mint_leg'
        WHEN t.supply_leg = 'burn' THEN 'burn_leg'
        WHEN from_label.entity IS NOT NULL AND to_label.entity IS NOT NULL AND from_label.entity = to_label.entity
            THEN 'internal'
        WHEN from_label.entity IS NOT NULL AND to_label.entity IS NOT NULL THEN 'cross_exchange'
        WHEN to_label.entity IS NOT NULL THEN 'inflow'
        WHEN from_label.entity IS NOT NULL THEN 'outflow'
        ELSE 'other'
    END AS flow_type
FROM transfer_logs t
LEFT JOIN exchange_label_ids from_label
    ON from_label.chain = t.chain AND from_label.address_id = t.from_id
    AND (from_label.valid_from IS NULL OR t.block_time >= from_label.valid_from)
    AND (from_label.valid_to IS NULL OR t.block_time < from_label.valid_to)
LEFT JOIN exchange_label_ids to_label
    ON to_label.chain = t.chain AND to_label.address_id = t.to_id
    AND (to_label.valid_from IS NULL OR t.block_time >= to_label.valid_from)
    AND (to_label.valid_to IS NULL OR t.block_time < to_label.valid_to);

-- Every transfer with the exchange on each side at its block time, and its flow type (as in 003).
CREATE OR REPLACE VIEW transfer_flows AS
SELECT t.chain, t.token, t.block_number, t.block_time, t.tx_hash, t.log_index, f.address AS from_address,
       r.address AS to_address, t.amount_raw, t.amount, t.supply_leg, t.from_entity, t.to_entity, t.flow_type
FROM transfer_flow_ids t JOIN addresses f ON f.address_id = t.from_id JOIN addresses r ON r.address_id = t.to_id;

CREATE OR REPLACE VIEW exchange_flow_legs AS
SELECT chain, to_entity AS entity, block_time, tx_hash, log_index, amount, 'in' AS direction,
       flow_type = 'cross_exchange' AS cross_exchange
FROM transfer_flow_ids WHERE flow_type IN ('inflow', 'cross_exchange')
UNION ALL
SELECT chain, from_entity AS entity, block_time, tx_hash, log_index, amount, 'out' AS direction,
       flow_type = 'cross_exchange' AS cross_exchange
FROM transfer_flow_ids WHERE flow_type IN ('outflow', 'cross_exchange');

-- The balance changes supply events make (as in 005): DestroyedBlackFunds (-), and Issue (+) / Redeem (-)
-- for the token owner when the transaction has no zero-address Transfer leg.
CREATE VIEW supply_balance_changes AS
SELECT chain, token, address, block_number, block_time, -amount_raw AS delta, -amount AS delta_amount
FROM supply_events
WHERE kind = 'destroyed_black_funds'
UNION ALL
SELECT s.chain, s.token, o.owner, s.block_number, s.block_time,
       CASE s.kind WHEN 'issue' THEN s.amount_raw ELSE -s.amount_raw END,
       CASE s.kind WHEN 'issue' THEN s.amount ELSE -s.amount END
FROM supply_events s
JOIN (SELECT chain, token, arg_min(owner, block_number) AS owner FROM supply_anchors GROUP BY ALL) o
  USING (chain, token)
WHERE s.kind IN ('issue', 'redeem') AND o.owner IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM transfer_logs t WHERE t.supply_leg IS NOT NULL AND t.chain = s.chain
                  AND tx_hash_text(t.chain, t.tx_hash) = s.tx_hash);

-- Every change to a wallet's balance that the index knows (as in 005), from the stored rows.
CREATE OR REPLACE VIEW balance_changes AS
SELECT t.chain, t.token, a.address, t.block_number, t.block_time, t.amount_raw AS delta,
       usdt_amount(t.amount_raw) AS delta_amount
FROM transfer_logs t JOIN addresses a ON a.address_id = t.to_id
UNION ALL
SELECT t.chain, t.token, a.address, t.block_number, t.block_time, -t.amount_raw, -usdt_amount(t.amount_raw)
FROM transfer_logs t JOIN addresses a ON a.address_id = t.from_id
UNION ALL
SELECT * FROM supply_balance_changes;

-- The same for the watched wallets only (all that reserves and `tracker verify` read): transfers matched
-- by id, without looking up every address.
CREATE VIEW watched_balance_changes AS
SELECT t.chain, t.token, w.address, t.block_number, t.block_time, t.amount_raw AS delta,
       usdt_amount(t.amount_raw) AS delta_amount
FROM transfer_logs t JOIN watched_addresses w ON w.address_id = t.to_id
UNION ALL
SELECT t.chain, t.token, w.address, t.block_number, t.block_time, -t.amount_raw, -usdt_amount(t.amount_raw)
FROM transfer_logs t JOIN watched_addresses w ON w.address_id = t.from_id
UNION ALL
SELECT * FROM supply_balance_changes;

-- Anchored balances (005's view and 010's macro, unchanged but for reading watched_balance_changes).
CREATE OR REPLACE VIEW wallet_balances_daily AS
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
    FROM watched_balance_changes c JOIN anchor a USING (chain, token, address)
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

CREATE OR REPLACE MACRO wallet_balances_on(day_value) AS TABLE
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
    FROM watched_balance_changes c JOIN later_anchor a USING (chain, token, address)
    WHERE c.block_time >= timezone('UTC', CAST(CAST(day_value AS DATE) + 1 AS TIMESTAMP))
      AND c.block_number <= a.anchor_block
    GROUP BY ALL
)
SELECT a.chain, a.token, a.address, CAST(a.anchor_balance - coalesce(u.amount, 0) AS DECIMAL(38, 6)) AS balance_end
FROM later_anchor a LEFT JOIN undone u USING (chain, token, address);

-- The days a chain/token is synced over (005's view, same days, cheaper): block times rise with block
-- numbers, so the chain's first stored block and the block at last_block (every sync step and every reorg
-- rollback stores that one) bound them. 005's min/max over every stored block up to last_block took
-- 30-80 ms at 5M blocks, in each of the report's status, supply and reserves queries.
CREATE OR REPLACE VIEW synced_days AS
SELECT s.chain, s.token, CAST(unnest(generate_series(
           CAST(timezone('UTC', f.block_time) AS DATE),
           CAST(timezone('UTC', l.block_time) AS DATE), INTERVAL 1 DAY)) AS DATE) AS day
FROM sync_state s
JOIN (SELECT chain, min(block_number) AS first_block FROM blocks GROUP BY chain) b ON b.chain = s.chain
JOIN blocks f ON f.chain = s.chain AND f.block_number = b.first_block
JOIN blocks l ON l.chain = s.chain AND l.block_number = s.last_block;
