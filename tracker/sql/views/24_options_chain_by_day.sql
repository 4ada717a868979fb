-- Issue 19: the option chain each venue showed on each UTC day: every instrument's row of the LAST snapshot the
-- venue took of the underlying that day (on or before the day's end). A venue with no snapshot on the day has no
-- rows here: an older chain is not carried forward (open interest moves with every expiry and every trade).
CREATE OR REPLACE VIEW options_chain_by_day AS
WITH last_snapshots AS (
    SELECT venue, underlying, CAST(timezone('UTC', snapshot_ts) AS DATE) AS day, max(snapshot_ts) AS snapshot_ts
    FROM options_oi
    GROUP BY ALL
)
SELECT s.day, o.venue, o.underlying, o.snapshot_ts, o.instrument, o.expiry,
       CAST(timezone('UTC', o.expiry) AS DATE) AS expiry_day, o.strike, o.option_type, o.open_interest, o.mark_iv,
       o.underlying_price, o.volume
FROM last_snapshots s
JOIN options_oi o ON o.venue = s.venue AND o.underlying = s.underlying AND o.snapshot_ts = s.snapshot_ts;
