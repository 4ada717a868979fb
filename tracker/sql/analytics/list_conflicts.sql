-- Claims on an address the tracker left unsettled ($chain / $entity NULL = all): the label kept (if any),
-- the claim left out, and why.
SELECT chain, address, kept_entity, kept_method, claimed_entity, claimed_method, evidence, noted_at
FROM label_conflicts
WHERE ($chain IS NULL OR chain = $chain)
  AND ($entity IS NULL OR lower(kept_entity) = lower($entity) OR lower(claimed_entity) = lower($entity))
ORDER BY chain, address, claimed_entity
