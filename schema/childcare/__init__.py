"""托育 in the graph: centres, classes, sessions, children, bookings, check-in and PIN pick-up.

Children's data is shown only to their guardians and childcare staff.
"""

from schema.childcare.operations import ChildcareMutation, ChildcareQuery

__all__ = ["ChildcareMutation", "ChildcareQuery"]
