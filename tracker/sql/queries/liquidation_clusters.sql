-- Realized liquidation clusters: where forced selling (longs liquidated) and forced buying (shorts
-- liquidated) actually happened. Per side, the liquidations of $symbol on every venue between the UTC days
-- $since and $until (inclusive) grouped into price buckets [price_low, price_high): bucket width =
-- $bucket_pct % of the reference price (the window's notional-weighted mean liquidation price, both sides),
-- rounded to two significant digits so the edges are round numbers; price_low = floor(price / width) × width,
-- in exact decimals. share = the bucket's part of its side's notional. lower_bound: the bucket holds Binance
-- liquidations, which are a lower bound (Binance pushes at most one per symbol per second).
-- Parameters: $symbol (default 'BTC'), $since, $until (DATE; NULL = no limit), $bucket_pct (default 0.5).
WITH window_rows AS (
    SELECT venue, side, price, qty, notional_usd
    FROM liquidations
    WHERE symbol = coalesce($symbol, 'BTC')
      AND ($since IS NULL OR ts >= timezone('UTC', CAST(CAST($since AS DATE) AS TIMESTAMP)))
      AND ($until IS NULL OR ts < timezone('UTC', CAST(CAST($until AS DATE) + 1 AS TIMESTAMP)))
),
reference AS (
    SELECT CAST(sum(notional_usd) / nullif(sum(qty), 0) * coalesce(CAST($bucket_pct AS DOUBLE), 0.5) / 100 AS DOUBLE)
               AS raw_width
    FROM window_rows
),
width AS (
    SELECT CAST(round(raw_width / pow(10, floor(log10(raw_width)) - 1)) * pow(10, floor(log10(raw_width)) - 1)
                AS DECIMAL(38, 12)) AS width
    FROM reference WHERE raw_width > 0
),
bucketed AS (
    -- integer division of the decimals scaled to whole units of 1e-12: exact, also on a bucket's edge
    SELECT r.venue, r.side, r.notional_usd, w.width,
           CAST(r.price * 1000000000000 AS HUGEINT) // CAST(w.width * 1000000000000 AS HUGEINT) AS bucket
    FROM window_rows r CROSS JOIN width w
)
SELECT
    coalesce($symbol, 'BTC') AS symbol,
    side,
    CAST(bucket * any_value(width) AS DECIMAL(38, 12)) AS price_low,
    CAST((bucket + 1) * any_value(width) AS DECIMAL(38, 12)) AS price_high,
    count(*) AS count,
    sum(notional_usd) AS notional_usd,
    CAST(sum(notional_usd) / sum(sum(notional_usd)) OVER (PARTITION BY side) AS DOUBLE) AS share,
    bool_or(venue = 'binance') AS lower_bound
FROM bucketed
GROUP BY side, bucket
ORDER BY side, price_low;
