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
SELECT t.chain, t.token, t.block_number, t.block_time,
       unhex(CASE WHEN t.chain = 'tron' THEN t.tx_hash ELSE t.tx_hash[3:] END), t.log_index,  -- as tx_hash_bytes
       f.address_id, r.address_id, t.amount_raw, t.supply_leg
FROM transfers t JOIN addresses f ON f.address = t.from_address JOIN addresses r ON r.address = t.to_address
ORDER BY t.chain, t.block_number, t.tx_hash, t.log_index;

DROP TABLE transfers;

-- Every labeled or anchored address with its id: the wallets flows and reserves watch, found here without
-- reading all of `addresses`. The tracker keeps it whole (store.watch_addresses) whenever it writes labels,
-- anchors or opens the file for writing.
CREATE TABLE watched_addresses (
    address     VARCHAR NOT NULL,
    address_id  INTEGER NOT NULL
);
