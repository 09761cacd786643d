"""Shared numbers of childcare: the calendar's zone, the age limit, PIN hashing."""

from datetime import date
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher

from models.childcare import (
    BookingStatus,
    Child,
    ChildcareCenter,
    ChildcareClass,
)
from models.people import Role
from resolvers.actor import Viewer
from resolvers.errors import DomainFailure

SHANGHAI = ZoneInfo("Asia/Shanghai")


UNDER_MONTHS = 36


PLACE_STATUSES = (
    BookingStatus.CONFIRMED.value,
    BookingStatus.CHECKED_IN.value,
    BookingStatus.CHECKED_OUT.value,
)


pin_hasher = PasswordHasher()


class PinRejected(DomainFailure):
    """A wrong PIN: answered as an error, but the attempt is kept (the schema commits it)."""

    keep_changes = True


def age_in_months(birth: date, on: date) -> int:
    months = (on.year - birth.year) * 12 + on.month - birth.month
    return months - 1 if on.day < birth.day else months


def eligible(child: Child, childcare_class: ChildcareClass, day: date) -> bool:
    age = age_in_months(child.birth_date, day)
    return childcare_class.min_age_months <= age < min(childcare_class.max_age_months, UNDER_MONTHS)


def is_childcare_staff(viewer: Viewer | None, center: ChildcareCenter) -> bool:
    return viewer is not None and viewer.is_staff_of(Role.CHILDCARE_STAFF, center.community_id)
