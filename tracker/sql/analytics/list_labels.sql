-- Labels of a chain and/or entity ($chain / $entity NULL = all), with how each was made (method).
SELECT chain, address, entity, category, wallet_type, source, valid_from, valid_to, method
FROM labels
WHERE ($chain IS NULL OR chain = $chain) AND ($entity IS NULL OR lower(entity) = lower($entity))
ORDER BY chain, entity, address, valid_from NULLS FIRST
