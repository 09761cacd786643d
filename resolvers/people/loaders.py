"""The people domain's per-request DataLoaders (see resolvers.batching.batch)."""

from resolvers.batching import batch
from resolvers.people.accounts import get_communities_by_ids, get_persons_by_ids

community_by_id_loader = batch(get_communities_by_ids, "CommunityByIdLoader")
person_by_id_loader = batch(get_persons_by_ids, "PersonByIdLoader")
