-- Discovered deposit addresses with their evidence ($chain / $entity NULL = all).
SELECT chain, address, entity, sweeps, received, forwarded, first_seen, last_seen
FROM discovered_deposits
WHERE ($chain IS NULL OR chain = $chain) AND ($entity IS NULL OR lower(entity) = lower($entity))
ORDER BY chain, entity, address
