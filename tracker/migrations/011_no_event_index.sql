-- Event tables without their primary-key index. The index on (chain, tx_hash, log_index) took ≈ 100 bytes
-- a transfer on disk (more than the rows: ≈ 63) and its only job was to refuse a log stored twice. That
-- guard now lives where rows come in: a sync replaces whole block ranges, `Store.write_batch` refuses a
-- batch that holds one log twice, and `tracker verify` counts logs stored twice. DuckDB cannot drop a
-- primary key in place, so both tables are rebuilt (same columns, same order), in block order.
CREATE TABLE transfers_rebuilt (
    chain         VARCHAR       NOT NULL,
    token         VARCHAR       NOT NULL,
    block_number  BIGINT        NOT NULL,
    block_time    TIMESTAMPTZ   NOT NULL,
    tx_hash       VARCHAR       NOT NULL,
    log_index     INTEGER       NOT NULL,
    from_address  VARCHAR       NOT NULL,
    to_address    VARCHAR       NOT NULL,
    amount_raw    DECIMAL(38,0) NOT NULL,
    amount        DECIMAL(38,6) NOT NULL,
    supply_leg    VARCHAR
);
INSERT INTO transfers_rebuilt SELECT * FROM transfers ORDER BY chain, block_number, tx_hash, log_index;
DROP TABLE transfers;
ALTER TABLE transfers_rebuilt RENAME TO transfers;

CREATE TABLE supply_events_rebuilt (
    chain         VARCHAR       NOT NULL,
    token         VARCHAR       NOT NULL,
    block_number  BIGINT        NOT NULL,
    block_time    TIMESTAMPTZ   NOT NULL,
    tx_hash       VARCHAR       NOT NULL,
    log_index     INTEGER       NOT NULL,
    kind          VARCHAR       NOT NULL CHECK (kind IN ('issue', 'redeem', 'destroyed_black_funds')),
    address       VARCHAR,
    amount_raw    DECIMAL(38,0) NOT NULL,
    amount        DECIMAL(38,6) NOT NULL
);
INSERT INTO supply_events_rebuilt SELECT * FROM supply_events ORDER BY chain, block_number, tx_hash, log_index;
DROP TABLE supply_events;
ALTER TABLE supply_events_rebuilt RENAME TO supply_events;
