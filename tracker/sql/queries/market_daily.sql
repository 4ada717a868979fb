-- Daily market features per symbol (see the market_daily view): funding (mean, annualized, OI-weighted
-- across exchanges), total open interest with its 1d/7d change and drawdown from the 90-day high,
-- long/short account ratio, close price. Changes compare with the calendar day 1 and 7 days before (NULL if absent).
-- Parameters (NULL = no filter): $symbol ('BTC' | 'ETH'), $since, $until (DATE, inclusive).
SELECT *
FROM market_daily
WHERE ($symbol IS NULL OR symbol = $symbol)
  AND ($since IS NULL OR day >= CAST($since AS DATE))
  AND ($until IS NULL OR day <= CAST($until AS DATE))
ORDER BY symbol, day;
