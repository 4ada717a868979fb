-- The inputs of the risk signals, per scope and synced UTC day. Scopes: 'all' (the stablecoins total: every
-- synced token on every chain, in USD), each chain (its tokens together), and each token symbol (across its
-- chains) once two or more symbols are synced. Features: exchange netflow (cross-exchange moves cancel out) and its z-score against the trailing 30 days
-- (the day itself excluded; z_days = how many of those days exist), 7-day net issuance (minted - redeemed -
-- destroyed, the day and the 6 before), the change of all exchanges' reserves against the day before
-- (NULL while a wallet has no anchor), and the market features of $symbol from market_daily (funding:
-- OI-weighted annualized, else the plain annualized mean). chains / chains_synced: for 'all', how many
-- chains the tool indexes and how many of them cover the day; complete: the day is synced to its end on
-- every chain counted (false for a day the sync is still inside).
-- Liquidations of $symbol (issue 18), all venues together: long_liq_usd / short_liq_usd (exact sums; a lower
-- bound: Binance pushes at most one a second per symbol, and a stream may not cover the whole day), liq_ratio
-- = long / short (NULL without short liquidations), liq_coverage_hours = the hours ANY venue's stream covered
-- the symbol (the union across venues), long_liq_z = the long side's z-score against the trailing 30 days
-- that were covered at least $min_coverage_hours (liq_z_days = how many; partly covered days would drag the
-- baseline down). Unknown (NULL) on a day no stream covered and nothing was stored, never 0.
-- est_levels_2pct_usd / est_levels_5pct_usd: the estimated-level model's notional (an ESTIMATE) in buckets
-- whose midpoint lies within ±2 % / ±5 % of the day's close, both sides, at the model's last snapshot in
-- [day 00:00, next day 00:00] (est_levels_ts); NULL without a close or a snapshot. oi_usd: the day's open
-- interest (the fragility rule compares the levels with it).
-- Options of $symbol (issue 19; view options_daily: each venue's last snapshot of the day, venues added up):
-- options_oi_usd (coins × underlying price, exact), options_near_share (the share of the coins at strikes within
-- ±5 % of spot), put_call_ratio (put ÷ call OI), options_iv (OI-weighted mark IV, a fraction), options_snapshot_ts;
-- NULL without a snapshot that day. dvol / dvol_change_7d: Deribit's DVOL daily close and its change against 7
-- days before (NULL without the candles).
-- Parameters: $symbol (default 'BTC'), $min_coverage_hours (default 20).
WITH synced_until AS (
    SELECT s.chain, s.token, max(b.block_time) AS last_block_time
    FROM sync_state s JOIN blocks b ON b.chain = s.chain AND b.block_number <= s.last_block
    GROUP BY s.chain, s.token
),
token_days AS (
    SELECT d.chain, d.token, d.day, u.last_block_time >= CAST(d.day + 1 AS TIMESTAMPTZ) AS complete
    FROM synced_days d JOIN synced_until u USING (chain, token)
),
flows AS (
    SELECT chain, token, CAST(hour AS DATE) AS day, sum(inflow) - sum(outflow) AS netflow
    FROM exchange_flows_by_hour GROUP BY ALL
),
issuance AS (
    SELECT chain, token, CAST(timezone('UTC', block_time) AS DATE) AS day,
           sum(CASE kind WHEN 'issue' THEN amount ELSE -amount END) AS net_issuance
    FROM supply_events GROUP BY ALL
),
reserves AS (
    SELECT chain, token, day, CASE WHEN count(reserve_end) = count(*) THEN sum(reserve_end) END AS reserves
    FROM exchange_reserves_by_day GROUP BY ALL
),
labeled_chains AS (
    SELECT DISTINCT chain FROM flow_labels WHERE category = 'exchange'
),
per_token AS (
    -- each token's flows, issuance and reserves meet on (chain, token, day) only
    SELECT d.chain, coalesce(k.symbol, d.token) AS symbol, d.day, coalesce(f.netflow, 0) AS netflow, coalesce(i.net_issuance, 0) AS net_issuance,
           -- a chain with no labeled exchange wallet holds 0 on exchanges; a labeled one without anchors: unknown
           CASE WHEN l.chain IS NULL THEN 0 ELSE r.reserves END AS reserves, d.complete
    FROM token_days d
    LEFT JOIN flows f USING (chain, token, day)
    LEFT JOIN issuance i USING (chain, token, day)
    LEFT JOIN reserves r USING (chain, token, day)
    LEFT JOIN labeled_chains l ON l.chain = d.chain
    LEFT JOIN tokens k ON k.chain = d.chain AND k.token = d.token
),
per_chain AS (
    -- The one place tokens are added, on purpose: a scope's signal reads the stablecoin liquidity of the tokens
    -- synced into its chains (table signals has a row per scope and day), as 'all' adds chains. A day is
    -- complete only when every token is synced to its end; reserves are unknown if one token's are.
    SELECT chain AS scope, day, sum(netflow) AS netflow, sum(net_issuance) AS net_issuance,
           CASE WHEN count(reserves) = count(*) THEN sum(reserves) END AS reserves, 1 AS chains_synced,
           bool_and(complete) AS complete
    FROM per_token GROUP BY chain, day
),
per_symbol AS (
    -- one stablecoin across its chains (scope = its symbol, e.g. 'USDC'), only once two or more are synced:
    -- with USDT alone, 'all' already is USDT
    SELECT symbol AS scope, day, sum(netflow) AS netflow, sum(net_issuance) AS net_issuance,
           CASE WHEN count(reserves) = count(*) THEN sum(reserves) END AS reserves, count(*) AS chains_synced,
           bool_and(complete) AS complete
    FROM per_token
    WHERE (SELECT count(DISTINCT symbol) FROM per_token) > 1
    GROUP BY symbol, day
),
scoped AS (
    SELECT * FROM per_chain
    UNION ALL
    -- the stablecoins total: every synced token on every chain, in USD (each token at its own decimals)
    SELECT 'all', day, sum(netflow), sum(net_issuance),
           CASE WHEN count(reserves) = count(*) THEN sum(reserves) END, count(*), bool_and(complete)
    FROM per_chain GROUP BY day
    UNION ALL
    SELECT * FROM per_symbol
),
featured AS (
    SELECT scope, day, netflow, net_issuance, reserves, chains_synced, complete,
           CAST((netflow - avg(netflow) OVER trailing_30) / nullif(stddev_samp(netflow) OVER trailing_30, 0) AS DOUBLE)
               AS netflow_z,
           count(netflow) OVER trailing_30 AS z_days,
           sum(net_issuance) OVER last_7 AS net_issuance_7d,
           lag(reserves) OVER (PARTITION BY scope ORDER BY day) AS reserves_before,
           lag(day) OVER (PARTITION BY scope ORDER BY day) AS day_before
    FROM scoped
    WINDOW trailing_30 AS (PARTITION BY scope ORDER BY day RANGE BETWEEN INTERVAL 30 DAY PRECEDING AND INTERVAL 1 DAY PRECEDING),
           last_7 AS (PARTITION BY scope ORDER BY day RANGE BETWEEN INTERVAL 6 DAY PRECEDING AND CURRENT ROW)
),
liq_events AS (
    SELECT CAST(timezone('UTC', ts) AS DATE) AS day,
           sum(CASE WHEN side = 'long' THEN notional_usd ELSE 0 END) AS long_usd,
           sum(CASE WHEN side = 'short' THEN notional_usd ELSE 0 END) AS short_usd
    FROM liquidations WHERE symbol = coalesce($symbol, 'BTC') GROUP BY ALL
),
liq_days AS (
    SELECT day, coalesce(c.coverage_hours, 0.0) AS hours,
           coalesce(e.long_usd, 0) AS long_usd, coalesce(e.short_usd, 0) AS short_usd
    FROM (SELECT day, coverage_hours FROM liquidation_coverage_by_day
          WHERE venue = '(any)' AND symbol = coalesce($symbol, 'BTC')) c
    FULL JOIN liq_events e USING (day)
),
liq AS (
    SELECT day, hours, long_usd, short_usd,
           CAST((long_usd - avg(baseline) OVER trailing_30) / nullif(stddev_samp(baseline) OVER trailing_30, 0)
                AS DOUBLE) AS long_z,
           count(baseline) OVER trailing_30 AS z_days
    FROM (SELECT *, CASE WHEN hours >= coalesce(CAST($min_coverage_hours AS DOUBLE), 20.0) THEN long_usd END
                        AS baseline
          FROM liq_days)
    WINDOW trailing_30 AS (ORDER BY day RANGE BETWEEN INTERVAL 30 DAY PRECEDING AND INTERVAL 1 DAY PRECEDING)
),
snapshots AS (
    SELECT m.day, m.close, max(l.ts) AS ts
    FROM market_daily m
    JOIN liquidation_levels l ON l.symbol = m.symbol
         AND l.ts >= timezone('UTC', CAST(m.day AS TIMESTAMP)) AND l.ts <= timezone('UTC', CAST(m.day + 1 AS TIMESTAMP))
    WHERE m.symbol = coalesce($symbol, 'BTC') AND m.close IS NOT NULL
    GROUP BY ALL
),
levels AS (
    SELECT s.day, s.ts,
           coalesce(sum(CASE WHEN (l.price_low + l.price_high) / 2 BETWEEN s.close * 0.98 AND s.close * 1.02
                             THEN l.notional_usd END), 0) AS within_2pct,
           coalesce(sum(CASE WHEN (l.price_low + l.price_high) / 2 BETWEEN s.close * 0.95 AND s.close * 1.05
                             THEN l.notional_usd END), 0) AS within_5pct
    FROM snapshots s
    JOIN liquidation_levels l ON l.symbol = coalesce($symbol, 'BTC') AND l.ts = s.ts
    GROUP BY s.day, s.ts
)
SELECT
    f.scope,
    f.day,
    CAST(f.netflow AS amount) AS netflow,
    f.netflow_z,
    f.z_days,
    CAST(f.net_issuance_7d AS amount) AS net_issuance_7d,
    CAST(CASE WHEN f.day_before = f.day - 1 THEN f.reserves / nullif(f.reserves_before, 0) - 1 END AS DOUBLE)
        AS reserve_change_pct,
    coalesce(m.funding_annualized_oi_weighted, m.funding_annualized) AS funding_annualized,
    m.oi_change_7d,
    m.oi_drawdown_90d,
    m.long_short_ratio,
    m.close,
    CASE WHEN f.scope = 'all' THEN (SELECT count(DISTINCT chain) FROM sync_state)
         WHEN f.scope IN (SELECT chain FROM sync_state) THEN 1
         ELSE (SELECT count(DISTINCT s.chain) FROM sync_state s JOIN tokens k USING (chain, token)
               WHERE coalesce(k.symbol, k.token) = f.scope) END AS chains,
    f.chains_synced,
    f.complete,
    m.oi_usd,
    CAST(q.long_usd AS DECIMAL(38, 18)) AS long_liq_usd,
    CAST(q.short_usd AS DECIMAL(38, 18)) AS short_liq_usd,
    CAST(q.long_usd / nullif(q.short_usd, 0) AS DOUBLE) AS liq_ratio,
    q.long_z AS long_liq_z,
    coalesce(q.z_days, 0) AS liq_z_days,
    q.hours AS liq_coverage_hours,
    CAST(v.within_2pct AS DECIMAL(38, 2)) AS est_levels_2pct_usd,
    CAST(v.within_5pct AS DECIMAL(38, 2)) AS est_levels_5pct_usd,
    v.ts AS est_levels_ts,
    CAST(o.oi_usd AS DECIMAL(38, 18)) AS options_oi_usd,
    o.oi_within_5pct_share AS options_near_share,
    o.put_call_ratio,
    o.iv_oi_weighted AS options_iv,
    o.snapshot_ts AS options_snapshot_ts,
    o.dvol,
    o.dvol_change_7d
FROM featured f
LEFT JOIN market_daily m ON m.symbol = coalesce($symbol, 'BTC') AND m.day = f.day
LEFT JOIN liq q ON q.day = f.day
LEFT JOIN levels v ON v.day = f.day
LEFT JOIN options_daily o ON o.underlying = coalesce($symbol, 'BTC') AND o.day = f.day
ORDER BY f.scope, f.day;
