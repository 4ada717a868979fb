-- ESTIMATED liquidation levels (the open model of `tracker market levels`, not venue data): for each symbol,
-- the last snapshot at or before the end of $day (UTC), each price bucket with the side whose positions would
-- be liquidated there, its bounds, the estimated notional and the bucket's distance from the snapshot's
-- price in % (bucket middle vs price; negative = below), nearest first.
-- Parameters (NULL = no filter / the latest snapshot): $symbol ('BTC' | 'ETH'), $day (DATE).
WITH snapshot AS (
    SELECT symbol, max(ts) AS ts
    FROM liquidation_level_snapshots
    WHERE ($symbol IS NULL OR symbol = $symbol)
      AND ($day IS NULL OR CAST(timezone('UTC', ts) AS DATE) <= CAST($day AS DATE))
    GROUP BY symbol
)
SELECT
    l.symbol,
    l.ts AS snapshot_ts,
    CAST(s.price AS DECIMAL(38, 2)) AS snapshot_price,
    l.side,
    CAST(l.price_low AS DECIMAL(38, 2)) AS price_low,
    CAST(l.price_high AS DECIMAL(38, 2)) AS price_high,
    l.notional_usd AS estimated_notional_usd,
    CAST(round(((l.price_low + l.price_high) / 2 - s.price) / s.price * 100, 2) AS DECIMAL(9, 2)) AS distance_pct,
    'estimate' AS kind
FROM snapshot
JOIN liquidation_level_snapshots s USING (symbol, ts)
JOIN liquidation_levels l USING (symbol, ts)
ORDER BY l.symbol, abs(distance_pct), l.side, price_low;
