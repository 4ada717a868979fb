-- Who owns a wallet. Only category 'exchange' makes exchange flows; Tether's treasury is 'issuer'.
CREATE TABLE labels (
    chain        VARCHAR     NOT NULL,
    address      VARCHAR     NOT NULL,  -- stored like transfers: lower-case 0x hex (ethereum), base58 (tron)
    entity       VARCHAR     NOT NULL,
    category     VARCHAR     NOT NULL CHECK (category IN ('exchange', 'issuer', 'bridge', 'other')),
    wallet_type  VARCHAR     NOT NULL CHECK (wallet_type IN ('hot', 'cold', 'deposit', 'treasury', 'unknown')),
    source       VARCHAR     NOT NULL,
    valid_from   TIMESTAMPTZ,           -- NULL: since ever
    valid_to     TIMESTAMPTZ            -- NULL: still valid; exclusive
);
