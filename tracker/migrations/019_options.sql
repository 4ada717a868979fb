-- Issue 19: options. Most venues serve only a live snapshot of their option chains, so the tool keeps its own
-- history: every instrument's row at every snapshot it takes. Exact decimals from the venues' payloads.
CREATE TABLE options_oi (
    venue             VARCHAR        NOT NULL,  -- deribit, okx, bybit
    underlying        VARCHAR        NOT NULL,  -- BTC, ETH
    snapshot_ts       TIMESTAMPTZ    NOT NULL,  -- when the tool took the snapshot (one per venue and underlying)
    instrument        VARCHAR        NOT NULL,  -- the venue's name: BTC-27DEC26-90000-C, BTC-USD-261227-90000-C
    expiry            TIMESTAMPTZ    NOT NULL,
    strike            DECIMAL(38,12) NOT NULL,  -- USD
    option_type       VARCHAR        NOT NULL CHECK (option_type IN ('call', 'put')),
    open_interest     DECIMAL(38,12),           -- in coins of the underlying
    mark_iv           DECIMAL(38,12),           -- a fraction: 0.523 is 52.3 % a year
    underlying_price  DECIMAL(38,12),           -- USD, as the venue priced the option against
    volume            DECIMAL(38,12),           -- the last 24 h, in coins
    PRIMARY KEY (venue, instrument, snapshot_ts)
);

CREATE TABLE volatility_index (
    venue       VARCHAR        NOT NULL,  -- deribit (DVOL)
    underlying  VARCHAR        NOT NULL,
    resolution  VARCHAR        NOT NULL,  -- '1D', '1h'
    ts          TIMESTAMPTZ    NOT NULL,  -- the candle's start
    open        DECIMAL(38,12) NOT NULL,  -- index points (annualized volatility in %)
    high        DECIMAL(38,12) NOT NULL,
    low         DECIMAL(38,12) NOT NULL,
    close       DECIMAL(38,12) NOT NULL,
    PRIMARY KEY (venue, underlying, resolution, ts)
);
