-- Issue 18: the open liquidation-level model's output, an ESTIMATE (not venue data): at each snapshot time the
-- notional of modelled open positions whose liquidation price falls in a price bucket, per side. Rebuilt by
-- `tracker market levels` from stored open interest, prices and long/short ratios; rounded to cents.
CREATE TABLE liquidation_levels (
    symbol        VARCHAR        NOT NULL,  -- BTC, ETH (summed over the venues modelled)
    ts            TIMESTAMPTZ    NOT NULL,  -- the model's state at the end of this open-interest interval
    side          VARCHAR        NOT NULL CHECK (side IN ('long', 'short')),  -- the positions that would be liquidated
    price_low     DECIMAL(38,12) NOT NULL,  -- bucket [price_low, price_high)
    price_high    DECIMAL(38,12) NOT NULL,
    notional_usd  DECIMAL(38,2)  NOT NULL,  -- estimated open notional liquidated if price reaches the bucket
    PRIMARY KEY (symbol, ts, side, price_low)
);
