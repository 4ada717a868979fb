-- Market data from perpetual-futures venues, exact decimals from the APIs' strings.
CREATE TABLE funding_rates (
    exchange      VARCHAR        NOT NULL,
    symbol        VARCHAR        NOT NULL,  -- base asset: BTC, ETH (USDT-margined perpetual)
    funding_time  TIMESTAMPTZ    NOT NULL,
    rate          DECIMAL(38,18) NOT NULL,
    mark_price    DECIMAL(38,12),
    PRIMARY KEY (exchange, symbol, funding_time)
);

CREATE TABLE open_interest (
    exchange      VARCHAR        NOT NULL,
    symbol        VARCHAR        NOT NULL,
    ts            TIMESTAMPTZ    NOT NULL,
    period        VARCHAR        NOT NULL,  -- '1d' or '1h'
    oi_contracts  DECIMAL(38,12),
    oi_value_usd  DECIMAL(38,12),
    PRIMARY KEY (exchange, symbol, period, ts)
);

CREATE TABLE long_short_ratio (
    exchange     VARCHAR        NOT NULL,
    symbol       VARCHAR        NOT NULL,
    ts           TIMESTAMPTZ    NOT NULL,
    period       VARCHAR        NOT NULL,
    ratio        DECIMAL(38,18) NOT NULL,
    long_share   DECIMAL(38,18),
    short_share  DECIMAL(38,18),
    PRIMARY KEY (exchange, symbol, period, ts)
);

CREATE TABLE prices (
    exchange  VARCHAR        NOT NULL,
    symbol    VARCHAR        NOT NULL,
    day       DATE           NOT NULL,
    open      DECIMAL(38,12) NOT NULL,
    high      DECIMAL(38,12) NOT NULL,
    low       DECIMAL(38,12) NOT NULL,
    close     DECIMAL(38,12) NOT NULL,
    volume    DECIMAL(38,12) NOT NULL,
    PRIMARY KEY (exchange, symbol, day)
);
