-- Each anchored wallet's balance at $block, derived from its earliest anchor at or below $synced and the
-- indexed changes between the two (forwards or backwards): what `tracker verify` compares with balanceOf.
WITH first_anchor AS (
    SELECT address, min(block_number) AS anchor_block, arg_min(balance_raw, block_number) AS anchor_raw
    FROM balance_anchors WHERE chain = $chain AND token = $token AND block_number <= $synced GROUP BY address
)
SELECT a.address, a.anchor_block,
       a.anchor_raw + coalesce(sum(CASE
           WHEN c.block_number > a.anchor_block AND c.block_number <= $block THEN c.delta
           WHEN c.block_number <= a.anchor_block AND c.block_number > $block THEN -c.delta
           ELSE 0 END), 0) AS derived_raw
FROM first_anchor a
LEFT JOIN watched_balance_changes c ON c.chain = $chain AND c.token = $token AND c.address = a.address
GROUP BY a.address, a.anchor_block, a.anchor_raw;
