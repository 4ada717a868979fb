-- Issue 18: the hours of each UTC day a venue's liquidation stream covered a symbol, and (venue '(any)') the
-- hours any venue did. Coverage is the UNION of the connected intervals, clipped to the day: a reconnect or a
-- second collector overlaps the first, and adding intervals would count those hours twice. An interval covers
-- the symbols the collector kept from that stream (`symbols`); rows without it (NULL) cover every symbol
-- the file holds liquidations of (a Bybit topic: its own). Days without a row were not covered at all (unknown, not zero).
CREATE OR REPLACE VIEW liquidation_coverage_by_day AS
WITH symbols AS (
    SELECT DISTINCT symbol FROM liquidations
    UNION
    SELECT DISTINCT unnest(symbols) FROM stream_coverage
),
intervals AS (
    SELECT c.venue, s.symbol, c.connected_from AS t0, c.connected_to AS t1
    FROM stream_coverage c
    JOIN symbols s ON CASE WHEN c.symbols IS NOT NULL THEN list_contains(c.symbols, s.symbol)
                           WHEN c.stream LIKE 'allLiquidation.%' THEN c.stream = 'allLiquidation.' || s.symbol || 'USDT'
                           ELSE true END
    WHERE c.connected_to > c.connected_from
),
scoped AS (
    SELECT venue, symbol, t0, t1 FROM intervals
    UNION ALL
    SELECT '(any)', symbol, t0, t1 FROM intervals
),
reached AS (
    -- how far the intervals before this one (by start) reach: a start beyond it opens a new island
    SELECT *, max(t1) OVER (PARTITION BY venue, symbol ORDER BY t0, t1
                            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
    FROM scoped
),
islands AS (
    SELECT *, sum(CAST(reach IS NULL OR t0 > reach AS INTEGER))
                  OVER (PARTITION BY venue, symbol ORDER BY t0, t1 ROWS UNBOUNDED PRECEDING) AS island
    FROM reached
),
merged AS (
    SELECT venue, symbol, min(t0) AS t0, max(t1) AS t1 FROM islands GROUP BY venue, symbol, island
),
by_day AS (
    SELECT venue, symbol, t0, t1,
           CAST(unnest(generate_series(CAST(timezone('UTC', t0) AS DATE), CAST(timezone('UTC', t1) AS DATE),
                                       INTERVAL 1 DAY)) AS DATE) AS day
    FROM merged
),
clipped AS (
    SELECT venue, symbol, day,
           epoch(least(t1, timezone('UTC', CAST(day + 1 AS TIMESTAMP)))
                 - greatest(t0, timezone('UTC', CAST(day AS TIMESTAMP)))) AS seconds
    FROM by_day
)
SELECT venue, symbol, day, CAST(sum(seconds) / 3600 AS DOUBLE) AS coverage_hours
FROM clipped
WHERE seconds > 0
GROUP BY venue, symbol, day;
