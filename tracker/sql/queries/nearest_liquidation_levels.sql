-- The estimated liquidation levels nearest the close (an ESTIMATE of the level model, not venue data): per
-- symbol, the model's last snapshot in [$day 00:00, next day 00:00] UTC and, from it, the $per_side buckets with
-- notional nearest below the day's close (mostly longs: liquidated if price falls) and nearest above it (mostly
-- shorts). A bucket holding the close counts on both. distance_pct: the bucket's midpoint against the close.
-- Parameters: $day (DATE), $symbol (NULL = every symbol), $per_side (default 3).
WITH snapshots AS (
    SELECT m.symbol, m.close, max(l.ts) AS snapshot
    FROM market_daily m
    JOIN liquidation_levels l ON l.symbol = m.symbol
         AND l.ts >= timezone('UTC', CAST(CAST($day AS DATE) AS TIMESTAMP))
         AND l.ts <= timezone('UTC', CAST(CAST($day AS DATE) + 1 AS TIMESTAMP))
    WHERE m.day = CAST($day AS DATE) AND m.close IS NOT NULL AND ($symbol IS NULL OR m.symbol = $symbol)
    GROUP BY ALL
),
placed AS (
    SELECT s.symbol, s.snapshot, s.close, l.side, l.price_low, l.price_high, l.notional_usd, p.position,
           CAST((l.price_low + l.price_high) / 2 / s.close - 1 AS DOUBLE) AS distance_pct
    FROM snapshots s
    JOIN liquidation_levels l ON l.symbol = s.symbol AND l.ts = s.snapshot AND l.notional_usd > 0
    JOIN (VALUES ('below'), ('above')) AS p(position)
      ON (p.position = 'below' AND l.price_low <= s.close) OR (p.position = 'above' AND l.price_high > s.close)
),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY symbol, position
                                 ORDER BY CASE position WHEN 'below' THEN -price_low ELSE price_low END, side) AS nearness
    FROM placed
)
SELECT symbol, snapshot, close, position, side, price_low, price_high, distance_pct, notional_usd AS est_notional_usd
FROM ranked
WHERE nearness <= coalesce(CAST($per_side AS INTEGER), 3)
ORDER BY symbol, position = 'above', CASE position WHEN 'below' THEN -price_low ELSE price_low END, side;
