-- Issue 19: OKX's option trading statistics (rubik). The put/call ratio keeps a short history (72 periods);
-- OI by expiry and by strike give only their latest period, so the tool keeps each one it reads.
-- Values exact from OKX's strings; open interest and volume in coins of the underlying.
CREATE TABLE options_put_call (
    venue         VARCHAR        NOT NULL,  -- okx
    underlying    VARCHAR        NOT NULL,  -- BTC, ETH
    period        VARCHAR        NOT NULL,  -- OKX's period: '1D'
    ts            TIMESTAMPTZ    NOT NULL,  -- the period OKX stamped
    oi_ratio      DECIMAL(38,18) NOT NULL,  -- OKX `oiRatio`, put/call open interest as OKX publishes it
    volume_ratio  DECIMAL(38,18),           -- OKX `volRatio`
    PRIMARY KEY (venue, underlying, period, ts)
);

CREATE TABLE options_oi_by_expiry (
    venue        VARCHAR        NOT NULL,
    underlying   VARCHAR        NOT NULL,
    period       VARCHAR        NOT NULL,
    ts           TIMESTAMPTZ    NOT NULL,
    expiry_day   DATE           NOT NULL,  -- OKX `expTime` (YYYYMMDD): a day, not a time
    call_oi      DECIMAL(38,12) NOT NULL,
    put_oi       DECIMAL(38,12) NOT NULL,
    call_volume  DECIMAL(38,12),
    put_volume   DECIMAL(38,12),
    PRIMARY KEY (venue, underlying, period, ts, expiry_day)
);

CREATE TABLE options_oi_by_strike (
    venue        VARCHAR        NOT NULL,
    underlying   VARCHAR        NOT NULL,
    period       VARCHAR        NOT NULL,
    ts           TIMESTAMPTZ    NOT NULL,
    expiry_day   DATE           NOT NULL,
    strike       DECIMAL(38,12) NOT NULL,  -- USD
    call_oi      DECIMAL(38,12) NOT NULL,
    put_oi       DECIMAL(38,12) NOT NULL,
    call_volume  DECIMAL(38,12),
    put_volume   DECIMAL(38,12),
    PRIMARY KEY (venue, underlying, period, ts, expiry_day, strike)
);
