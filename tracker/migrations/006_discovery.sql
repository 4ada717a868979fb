-- Deposit addresses found by `tracker labels discover`, with the evidence that made them qualify.
-- They are also labels (source 'discovered', wallet_type 'deposit'), which `flow_labels` counts only on request.
CREATE TABLE discovered_deposits (
    chain          VARCHAR       NOT NULL,
    address        VARCHAR       NOT NULL,
    entity         VARCHAR       NOT NULL,
    sweeps         BIGINT        NOT NULL,
    received       DECIMAL(38,6) NOT NULL,
    forwarded      DECIMAL(38,6) NOT NULL,
    first_seen     TIMESTAMPTZ   NOT NULL,
    last_seen      TIMESTAMPTZ   NOT NULL,
    discovered_at  TIMESTAMPTZ   NOT NULL,
    PRIMARY KEY (chain, address)
);
