-- How complete the data for UTC day $day is: per indexed chain, the time of the last synced block and
-- whether the day is synced to its end; per market venue and symbol, whether funding and a candle exist for
-- the day. status: complete | partial | behind (the sync has not reached the day) | not synced (before
-- the first synced day) | missing (no market rows). Parameters: $day (DATE, required).
WITH tokens AS (
    SELECT s.chain, s.token, max(b.block_time) AS last_block_time, min(b.block_time) AS first_block_time
    FROM sync_state s JOIN blocks b ON b.chain = s.chain AND b.block_number <= s.last_block
    GROUP BY s.chain, s.token
),
chains AS (
    -- a chain is as far as its least-synced token: blocks another token's sync stored say nothing of this one
    SELECT chain AS source, min(last_block_time) AS last_block_time, min(first_block_time) AS first_block_time
    FROM tokens GROUP BY chain
),
venues AS (
    SELECT exchange, symbol FROM funding_rates UNION SELECT exchange, symbol FROM prices
)
SELECT 'chain' AS kind, source, NULL AS symbol, last_block_time AS synced_until,
       CASE WHEN first_block_time >= CAST(CAST($day AS DATE) + 1 AS TIMESTAMPTZ) THEN 'not synced'
            WHEN last_block_time >= CAST(CAST($day AS DATE) + 1 AS TIMESTAMPTZ) THEN 'complete'
            WHEN last_block_time >= CAST(CAST($day AS DATE) AS TIMESTAMPTZ) THEN 'partial'
            ELSE 'behind' END AS status
FROM chains
UNION ALL
SELECT 'market', v.exchange, v.symbol,
       (SELECT max(funding_time) FROM funding_rates f WHERE f.exchange = v.exchange AND f.symbol = v.symbol),
       CASE WHEN EXISTS (SELECT 1 FROM prices p WHERE p.exchange = v.exchange AND p.symbol = v.symbol
                           AND p.day = CAST($day AS DATE))
             AND EXISTS (SELECT 1 FROM funding_rates f WHERE f.exchange = v.exchange AND f.symbol = v.symbol
                           AND CAST(timezone('UTC', f.funding_time) AS DATE) = CAST($day AS DATE))
            THEN 'complete' ELSE 'missing' END
FROM venues v
ORDER BY kind, source, symbol;
