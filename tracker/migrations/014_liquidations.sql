-- Issue 18: realized liquidations collected from the venues' public streams (and OKX's REST backfill), exact
-- decimals from the payload strings, and the intervals each stream was connected (so a day's total can say
-- how much of the day it covers instead of pretending to be complete).
CREATE TABLE liquidations (
    venue         VARCHAR        NOT NULL,  -- binance, bybit, okx
    symbol        VARCHAR        NOT NULL,  -- the tool's own form: BTC, ETH
    instrument    VARCHAR        NOT NULL,  -- the venue's name: BTCUSDT, BTC-USDT-SWAP
    ts            TIMESTAMPTZ    NOT NULL,  -- the venue's trade / update time
    side          VARCHAR        NOT NULL CHECK (side IN ('long', 'short')),  -- the position liquidated
    price         DECIMAL(38,12) NOT NULL,
    qty           DECIMAL(38,12) NOT NULL,  -- base asset (OKX: contracts × contract value)
    notional_usd  DECIMAL(38,18) NOT NULL,  -- price × qty, exactly (USDT-margined contracts)
    source        VARCHAR        NOT NULL,  -- 'ws' or 'rest'
    -- one liquidation once, however often a reconnect or a backfill delivers it
    PRIMARY KEY (venue, instrument, ts, side, price, qty)
);

CREATE TABLE stream_coverage (
    venue           VARCHAR     NOT NULL,
    stream          VARCHAR     NOT NULL,  -- !forceOrder@arr, allLiquidation.BTCUSDT, liquidation-orders:SWAP
    connected_from  TIMESTAMPTZ NOT NULL,
    connected_to    TIMESTAMPTZ NOT NULL,  -- advanced at every flush while connected
    PRIMARY KEY (venue, stream, connected_from)
);
