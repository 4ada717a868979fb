-- Core tables. Amounts: raw integer units (DECIMAL(38,0)) and token units (DECIMAL(38,6)), never floats.
CREATE TABLE transfers (
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
    PRIMARY KEY (chain, tx_hash, log_index)
);

CREATE TABLE supply_events (
    chain         VARCHAR       NOT NULL,
    token         VARCHAR       NOT NULL,
    block_number  BIGINT        NOT NULL,
    block_time    TIMESTAMPTZ   NOT NULL,
    tx_hash       VARCHAR       NOT NULL,
    log_index     INTEGER       NOT NULL,
    kind          VARCHAR       NOT NULL CHECK (kind IN ('issue', 'redeem', 'destroyed_black_funds')),
    address       VARCHAR,      -- the blacklisted wallet for destroyed_black_funds; Issue/Redeem name none
    amount_raw    DECIMAL(38,0) NOT NULL,
    amount        DECIMAL(38,6) NOT NULL,
    PRIMARY KEY (chain, tx_hash, log_index)
);

-- Every block that holds an indexed event, plus the last block of each sync step (for reorg checks).
CREATE TABLE blocks (
    chain         VARCHAR     NOT NULL,
    block_number  BIGINT      NOT NULL,
    block_hash    VARCHAR     NOT NULL,
    block_time    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (chain, block_number)
);

-- Written in the same transaction as the rows it covers.
CREATE TABLE sync_state (
    chain            VARCHAR     NOT NULL,
    token            VARCHAR     NOT NULL,
    last_block       BIGINT      NOT NULL,
    last_block_hash  VARCHAR     NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (chain, token)
);

-- Block ranges indexed so far (merged), so gaps left by explicit --from/--to runs are visible.
CREATE TABLE sync_ranges (
    chain       VARCHAR NOT NULL,
    token       VARCHAR NOT NULL,
    from_block  BIGINT  NOT NULL,
    to_block    BIGINT  NOT NULL,
    PRIMARY KEY (chain, token, from_block)
);
