-- Total supply at $block, derived from the earliest supply anchor at or below $synced and the supply
-- events between the two: what `tracker verify` compares with totalSupply().
WITH first_anchor AS (
    SELECT min(block_number) AS anchor_block, arg_min(total_supply_raw, block_number) AS anchor_raw
    FROM supply_anchors WHERE chain = $chain AND token = $token AND block_number <= $synced
),
change AS (
    SELECT block_number, CASE kind WHEN 'issue' THEN amount_raw ELSE -amount_raw END AS delta
    FROM supply_events WHERE chain = $chain AND token = $token
)
SELECT a.anchor_block, a.anchor_raw + coalesce(sum(CASE
           WHEN c.block_number > a.anchor_block AND c.block_number <= $block THEN c.delta
           WHEN c.block_number <= a.anchor_block AND c.block_number > $block THEN -c.delta
           ELSE 0 END), 0) AS derived_raw
FROM first_anchor a LEFT JOIN change c ON true
WHERE a.anchor_block IS NOT NULL
GROUP BY a.anchor_block, a.anchor_raw;
