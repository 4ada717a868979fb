-- How well the ESTIMATED liquidation levels predicted realized liquidations, per symbol, UTC day and side.
--   realized_usd               realized liquidation notional (table liquidations) that day, that side
--   realized_in_levels_usd     the part of it whose price fell in a bucket where the snapshot at or before the
--                              liquidation had estimated levels of that side
--   realized_hit_share         realized_in_levels_usd / realized_usd (recall-like)
--   estimated_traded_usd       estimated notional, in the last snapshot before the day began, of that side's
--                              buckets whose range the day's traded range [low, high] (prices, all venues) reached
--   estimated_confirmed_usd    the part of it in buckets where a realized liquidation of that side happened that day
--   estimated_hit_share        estimated_confirmed_usd / estimated_traded_usd (precision-like)
-- Realized liquidations are what the streams delivered (Binance pushes at most one a second per symbol): a floor.
-- Parameters (NULL = no filter): $symbol ('BTC' | 'ETH'), $since, $until (DATE, inclusive, UTC days).
WITH realized AS (
    SELECT l.symbol, CAST(timezone('UTC', l.ts) AS DATE) AS day, l.side, l.price, l.notional_usd,
           EXISTS (SELECT 1 FROM liquidation_levels e
                   WHERE e.symbol = l.symbol AND e.ts = s.ts AND e.side = l.side
                     AND l.price >= e.price_low AND l.price < e.price_high) AS in_levels
    FROM liquidations l
    ASOF LEFT JOIN liquidation_level_snapshots s ON l.symbol = s.symbol AND l.ts >= s.ts
    WHERE ($symbol IS NULL OR l.symbol = $symbol)
      AND ($since IS NULL OR CAST(timezone('UTC', l.ts) AS DATE) >= CAST($since AS DATE))
      AND ($until IS NULL OR CAST(timezone('UTC', l.ts) AS DATE) <= CAST($until AS DATE))
),
recall AS (
    SELECT symbol, day, side, sum(notional_usd) AS realized_usd,
           coalesce(sum(notional_usd) FILTER (WHERE in_levels), 0) AS realized_in_levels_usd
    FROM realized
    GROUP BY ALL
),
traded AS (
    SELECT symbol, day, min(low) AS low, max(high) AS high
    FROM prices
    WHERE ($symbol IS NULL OR symbol = $symbol)
      AND ($since IS NULL OR day >= CAST($since AS DATE))
      AND ($until IS NULL OR day <= CAST($until AS DATE))
    GROUP BY ALL
),
day_snapshot AS (  -- the last snapshot taken before each traded day began
    SELECT t.symbol, t.day, t.low, t.high, max(s.ts) AS ts
    FROM traded t
    JOIN liquidation_level_snapshots s ON s.symbol = t.symbol AND CAST(timezone('UTC', s.ts) AS DATE) < t.day
    GROUP BY ALL
),
reached AS (
    SELECT d.symbol, d.day, e.side, e.notional_usd,
           EXISTS (SELECT 1 FROM realized r
                   WHERE r.symbol = d.symbol AND r.day = d.day AND r.side = e.side
                     AND r.price >= e.price_low AND r.price < e.price_high) AS confirmed
    FROM day_snapshot d
    JOIN liquidation_levels e ON e.symbol = d.symbol AND e.ts = d.ts
    WHERE e.price_high > d.low AND e.price_low <= d.high
),
precision AS (
    SELECT symbol, day, side, sum(notional_usd) AS estimated_traded_usd,
           coalesce(sum(notional_usd) FILTER (WHERE confirmed), 0) AS estimated_confirmed_usd
    FROM reached
    GROUP BY ALL
)
SELECT
    symbol, day, side,
    CAST(coalesce(r.realized_usd, 0) AS DECIMAL(38, 2)) AS realized_usd,
    CAST(coalesce(r.realized_in_levels_usd, 0) AS DECIMAL(38, 2)) AS realized_in_levels_usd,
    CAST(round(r.realized_in_levels_usd / nullif(r.realized_usd, 0), 4) AS DOUBLE) AS realized_hit_share,
    coalesce(p.estimated_traded_usd, 0) AS estimated_traded_usd,
    coalesce(p.estimated_confirmed_usd, 0) AS estimated_confirmed_usd,
    CAST(round(p.estimated_confirmed_usd / nullif(p.estimated_traded_usd, 0), 4) AS DOUBLE) AS estimated_hit_share
FROM recall r
FULL JOIN precision p USING (symbol, day, side)
ORDER BY symbol, day, side;
