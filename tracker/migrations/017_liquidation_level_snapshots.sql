-- Issue 18: one row per snapshot of the liquidation-level model (an ESTIMATE), written with its
-- liquidation_levels rows: the price the snapshot was taken at (distances in the liquidation_levels query
-- are measured from it) and the bucket width the run used.
CREATE TABLE liquidation_level_snapshots (
    symbol        VARCHAR        NOT NULL,
    ts            TIMESTAMPTZ    NOT NULL,
    price         DECIMAL(38,12) NOT NULL,  -- the model's price at ts (a venue's OI value ÷ OI coins, or the day's close)
    bucket_width  DECIMAL(38,2)  NOT NULL,  -- USD; liquidation_levels buckets are [k × width, (k + 1) × width)
    PRIMARY KEY (symbol, ts)
);
