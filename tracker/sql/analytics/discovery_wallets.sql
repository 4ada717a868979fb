-- Clustering seed: the chain's curated exchange wallets by address id (discovered hot wallets are added to
-- this table round by round). Curated = bundled or imported labels.
CREATE OR REPLACE TEMP TABLE discovery_wallets AS
SELECT w.address_id, min(l.entity) AS entity, 0 AS round
FROM labels l JOIN watched_addresses w USING (address)
WHERE l.chain = $chain AND l.category = 'exchange' AND l.method NOT LIKE 'discovered:%'
GROUP BY w.address_id;
