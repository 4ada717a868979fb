-- Labels of a chain and/or entity ($chain / $entity NULL = all).
SELECT chain, address, entity, category, wallet_type, source, valid_from, valid_to
FROM labels
WHERE ($chain IS NULL OR chain = $chain) AND ($entity IS NULL OR lower(entity) = lower($entity))
ORDER BY chain, entity, address, valid_from NULLS FIRST
