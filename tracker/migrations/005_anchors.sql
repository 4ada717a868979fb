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
