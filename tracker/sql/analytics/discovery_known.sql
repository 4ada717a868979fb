-- Clustering: every address a curated label already names (any category), by address id: never rediscovered.
CREATE OR REPLACE TEMP TABLE discovery_known AS
SELECT DISTINCT w.address_id
FROM labels l JOIN watched_addresses w USING (address)
WHERE l.chain = $chain AND l.method NOT LIKE 'discovered:%';
