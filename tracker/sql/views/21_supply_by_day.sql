-- Per chain, token and synced UTC day: USDT minted (Issue), redeemed (Redeem), destroyed (DestroyedBlackFunds),
-- net_issuance = minted - redeemed - destroyed, and total_supply_end: totalSupply() read from the node at the
-- earliest anchor, moved by every indexed supply event, at the end of the day. Anchors, events and days meet
-- on (chain, token): one token's supply never moves another's. NULL total while the token has no anchor.
CREATE OR REPLACE VIEW supply_by_day AS
WITH anchor AS (
    SELECT a.chain, a.token, min(a.block_number) AS anchor_block, arg_min(a.total_supply, a.block_number) AS anchor_supply
    FROM supply_anchors a JOIN sync_state s ON s.chain = a.chain AND s.token = a.token
    WHERE a.block_number <= s.last_block
    GROUP BY ALL
),
events AS (
    SELECT chain, token, block_number, CAST(timezone('UTC', block_time) AS DATE) AS day, kind, amount,
           CASE kind WHEN 'issue' THEN amount ELSE -amount END AS delta
    FROM supply_events
)
SELECT
    d.chain,
    d.token,
    d.day,
    CAST(coalesce(sum(e.amount) FILTER (WHERE e.day = d.day AND e.kind = 'issue'), 0) AS amount) AS minted,
    CAST(coalesce(sum(e.amount) FILTER (WHERE e.day = d.day AND e.kind = 'redeem'), 0) AS amount) AS redeemed,
    CAST(coalesce(sum(e.amount) FILTER (WHERE e.day = d.day AND e.kind = 'destroyed_black_funds'), 0) AS amount) AS destroyed,
    CAST(coalesce(sum(e.delta) FILTER (WHERE e.day = d.day), 0) AS amount) AS net_issuance,
    CAST(a.anchor_supply
         + coalesce(sum(e.delta) FILTER (WHERE e.block_number > a.anchor_block AND e.day <= d.day), 0)
         - coalesce(sum(e.delta) FILTER (WHERE e.block_number <= a.anchor_block AND e.day > d.day), 0)
         AS amount) AS total_supply_end
FROM synced_days d
LEFT JOIN anchor a ON a.chain = d.chain AND a.token = d.token
LEFT JOIN events e ON e.chain = d.chain AND e.token = d.token
GROUP BY d.chain, d.token, d.day, a.anchor_supply;
