-- Issue 17: how each label was made, discovered hot wallets with their evidence, and conflicts kept for an
-- analyst to resolve. method: 'bundled' (the set shipped in the package), 'imported' (labels import /
-- labels update / written by hand), 'discovered:deposit' and 'discovered:hot' (tracker labels discover).
-- Curated = bundled or imported; flows count discovered labels only with --with-discovered.
ALTER TABLE labels ADD COLUMN method VARCHAR DEFAULT 'imported';
-- The rows the earlier bundled set wrote (its sources, exactly), so the new set replaces them.
UPDATE labels SET method = CASE
    WHEN source = 'discovered' THEN 'discovered:deposit'
    WHEN source LIKE 'dune spellbook cex\_%' ESCAPE '\' OR source IN ('Etherscan label Tether: Treasury',
         'Tronscan label Tether: Treasury') OR source LIKE 'owner() of the USDT contract%' THEN 'bundled'
    ELSE 'imported'
END;

-- An unlabeled address found to be an exchange's hot wallet: it takes sweeps from many addresses that
-- sweep to that exchange (its deposit addresses), moves funds with the exchange's known wallets, and pays
-- out to many others.
CREATE TABLE discovered_hot_wallets (
    chain            VARCHAR       NOT NULL,
    address          VARCHAR       NOT NULL,
    entity           VARCHAR       NOT NULL,
    round            INTEGER       NOT NULL,  -- 1: found from curated wallets; n: from wallets found in round n-1
    deposit_senders  BIGINT        NOT NULL,  -- distinct deposit addresses of the entity that swept to it
    sweeps           BIGINT        NOT NULL,
    swept_in         DECIMAL(38,6) NOT NULL,
    received         DECIMAL(38,6) NOT NULL,  -- everything it received (the entity's share is swept_in + refills)
    from_entity      DECIMAL(38,6) NOT NULL,  -- received from the entity's wallets and deposit addresses
    internal_transfers BIGINT      NOT NULL,  -- transfers to or from the entity's known wallets
    payees           BIGINT        NOT NULL,  -- distinct addresses outside the entity it paid
    paid_out         DECIMAL(38,6) NOT NULL,
    first_seen       TIMESTAMPTZ   NOT NULL,
    last_seen        TIMESTAMPTZ   NOT NULL,
    discovered_at    TIMESTAMPTZ   NOT NULL,
    PRIMARY KEY (chain, address)
);

-- Two claims on one address that the tracker did not settle: a curated label and a discovery or a bundled
-- row that disagree, or a wallet whose behaviour points at two exchanges. Listed by `labels list --conflicts`.
CREATE TABLE label_conflicts (
    chain           VARCHAR     NOT NULL,
    address         VARCHAR     NOT NULL,
    kept_entity     VARCHAR,              -- the label in force (NULL: none, the address stays unlabeled)
    kept_method     VARCHAR,
    claimed_entity  VARCHAR     NOT NULL, -- the claim left out
    claimed_method  VARCHAR     NOT NULL,
    evidence        VARCHAR     NOT NULL,
    noted_at        TIMESTAMPTZ NOT NULL
);

-- The bundled label set last loaded (a digest of its files), so a new package version refreshes it.
CREATE TABLE label_sets (
    name       VARCHAR     NOT NULL PRIMARY KEY,
    digest     VARCHAR     NOT NULL,
    rows       BIGINT      NOT NULL,
    loaded_at  TIMESTAMPTZ NOT NULL
);
