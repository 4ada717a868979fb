-- Realized liquidations per UTC day, venue, symbol and side (the position liquidated): count, notional_usd
-- (the exact sum of price × qty) and coverage_hours, the hours of the day the venue's stream for the symbol
-- was connected (the union of its intervals: see the view liquidation_coverage_by_day). A (day, venue,
-- symbol) with coverage and no liquidation shows count 0 and notional 0 (nothing happened while watched); one
-- with neither coverage nor a stored liquidation has no row: unknown, never 0. lower_bound: the true total is
-- at least this: always for Binance (it pushes at most the latest liquidation per symbol per second), and
-- for any venue whose stream did not cover the whole day (coverage_hours < 24).
-- Parameters (NULL = no filter): $since, $until (DATE, inclusive).
WITH coverage AS (
    SELECT venue, symbol, day, coverage_hours FROM liquidation_coverage_by_day WHERE venue <> '(any)'
),
events AS (
    SELECT venue, symbol, CAST(timezone('UTC', ts) AS DATE) AS day, side, count(*) AS count,
           sum(notional_usd) AS notional_usd
    FROM liquidations
    GROUP BY ALL
),
seen AS (
    SELECT venue, symbol, day FROM coverage
    UNION
    SELECT venue, symbol, day FROM events
)
SELECT
    s.day,
    s.venue,
    s.symbol,
    sides.side,
    coalesce(e.count, 0) AS count,
    coalesce(e.notional_usd, CAST(0 AS DECIMAL(38, 18))) AS notional_usd,
    coalesce(c.coverage_hours, 0.0) AS coverage_hours,
    s.venue = 'binance' OR coalesce(c.coverage_hours, 0.0) < 24 AS lower_bound
FROM seen s
CROSS JOIN (VALUES ('long'), ('short')) AS sides(side)
LEFT JOIN events e ON e.venue = s.venue AND e.symbol = s.symbol AND e.day = s.day AND e.side = sides.side
LEFT JOIN coverage c ON c.venue = s.venue AND c.symbol = s.symbol AND c.day = s.day
WHERE ($since IS NULL OR s.day >= CAST($since AS DATE))
  AND ($until IS NULL OR s.day <= CAST($until AS DATE))
ORDER BY s.day, s.symbol, s.venue, sides.side;
