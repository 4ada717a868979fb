-- The inputs of the risk signals, per scope ('all' chains together, and each chain) and synced UTC day:
-- exchange netflow (USDT; cross-exchange moves cancel out) and its z-score against the trailing 30 days
-- (the day itself excluded; z_days = how many of those days exist), 7-day net issuance (minted - redeemed -
-- destroyed, the day and the 6 before), the change of all exchanges' reserves against the day before
-- (NULL while a wallet has no anchor), and the market features of $symbol from market_daily (funding:
-- OI-weighted annualized, else the plain annualized mean). chains / chains_synced: for 'all', how many
-- chains the tool indexes and how many of them cover the day; complete: the day is synced to its end on
-- every chain counted (false for a day the sync is still inside). Parameters: $symbol (default 'BTC').
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
    SELECT d.chain, d.day, coalesce(f.netflow, 0) AS netflow, coalesce(i.net_issuance, 0) AS net_issuance,
           -- a chain with no labeled exchange wallet holds 0 on exchanges; a labeled one without anchors: unknown
           CASE WHEN l.chain IS NULL THEN 0 ELSE r.reserves END AS reserves, d.complete
    FROM token_days d
    LEFT JOIN flows f USING (chain, token, day)
    LEFT JOIN issuance i USING (chain, token, day)
    LEFT JOIN reserves r USING (chain, token, day)
    LEFT JOIN labeled_chains l ON l.chain = d.chain
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
scoped AS (
    SELECT * FROM per_chain
    UNION ALL
    SELECT 'all', day, sum(netflow), sum(net_issuance),
           CASE WHEN count(reserves) = count(*) THEN sum(reserves) END, count(*), bool_and(complete)
    FROM per_chain GROUP BY day
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
)
SELECT
    f.scope,
    f.day,
    CAST(f.netflow AS DECIMAL(38, 6)) AS netflow,
    f.netflow_z,
    f.z_days,
    CAST(f.net_issuance_7d AS DECIMAL(38, 6)) AS net_issuance_7d,
    CAST(CASE WHEN f.day_before = f.day - 1 THEN f.reserves / nullif(f.reserves_before, 0) - 1 END AS DOUBLE)
        AS reserve_change_pct,
    coalesce(m.funding_annualized_oi_weighted, m.funding_annualized) AS funding_annualized,
    m.oi_change_7d,
    m.oi_drawdown_90d,
    m.long_short_ratio,
    m.close,
    CASE WHEN f.scope = 'all' THEN (SELECT count(DISTINCT chain) FROM sync_state) ELSE 1 END AS chains,
    f.chains_synced,
    f.complete
FROM featured f
LEFT JOIN market_daily m ON m.symbol = coalesce($symbol, 'BTC') AND m.day = f.day
ORDER BY f.scope, f.day;
