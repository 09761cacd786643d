"""Elder care's per-request DataLoaders (see resolvers.batching.batch)."""

from resolvers.batching import batch
from resolvers.eldercare.access import visible_elders_by_ids
from resolvers.eldercare.queries import (
    alerts_by_elder_ids,
    assignments_by_device_ids,
    devices_by_elder_ids,
    get_elders_by_ids,
    latest_vitals_by_elder_ids,
    threshold_changes_by_elder_ids,
    visible_alerts_by_ids,
    visible_visits_by_ids,
    visits_by_elder_ids,
)

elder_by_id_loader = batch(get_elders_by_ids, "ElderByIdLoader")
devices_by_elder_id_loader = batch(devices_by_elder_ids, "DevicesByElderIdLoader")
alerts_by_elder_id_loader = batch(alerts_by_elder_ids, "AlertsByElderIdLoader")
latest_vitals_by_elder_id_loader = batch(latest_vitals_by_elder_ids, "LatestVitalsByElderIdLoader")
visits_by_elder_id_loader = batch(visits_by_elder_ids, "VisitsByElderIdLoader")
assignments_by_device_id_loader = batch(assignments_by_device_ids, "AssignmentsByDeviceIdLoader")
threshold_changes_by_elder_id_loader = batch(
    threshold_changes_by_elder_ids, "ThresholdChangesByElderIdLoader"
)

# node(id:) asked many times in one request: one statement per type, with the viewer's permission.
visible_elder_by_id_loader = batch(visible_elders_by_ids, "VisibleElderByIdLoader", per_viewer=True)
visible_alert_by_id_loader = batch(visible_alerts_by_ids, "VisibleAlertByIdLoader", per_viewer=True)
visible_visit_by_id_loader = batch(visible_visits_by_ids, "VisibleVisitByIdLoader", per_viewer=True)
