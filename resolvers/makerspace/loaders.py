"""The maker space's per-request DataLoaders (see resolvers.batching.batch)."""

from resolvers.batching import batch
from resolvers.makerspace.reservation import reservations_for_by_ids
from resolvers.makerspace.spaces import (
    block_outs_in_force,
    get_resources_by_ids,
    get_spaces_by_ids,
    resources_by_space_ids,
)

maker_space_by_id_loader = batch(get_spaces_by_ids, "MakerSpaceByIdLoader")
resource_by_id_loader = batch(get_resources_by_ids, "ResourceByIdLoader")
resources_by_space_id_loader = batch(resources_by_space_ids, "ResourcesBySpaceIdLoader")
# Keyed by (space id, window start, window end): MakerSpace.blockOuts of every space in one request.
block_outs_by_space_window_loader = batch(block_outs_in_force, "BlockOutsBySpaceWindowLoader")
# node(id:) asked many times in one request: one statement, with the viewer's permission.
visible_reservation_by_id_loader = batch(
    reservations_for_by_ids, "VisibleReservationByIdLoader", per_viewer=True
)
