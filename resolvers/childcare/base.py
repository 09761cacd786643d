"""Shared numbers of childcare: the calendar's zone, the age limit, PIN hashing."""

import calendar
from datetime import date

from argon2 import PasswordHasher

from models.childcare import (
    BookingStatus,
    Child,
    ChildcareCenter,
    ChildcareClass,
)
from models.people import Role
from resolvers.actor import Viewer

UNDER_MONTHS = 36


PLACE_STATUSES = (
    BookingStatus.CONFIRMED.value,
    BookingStatus.CHECKED_IN.value,
    BookingStatus.CHECKED_OUT.value,
)


pin_hasher = PasswordHasher()


def age_in_months(birth: date, on: date) -> int:
    """Complete months as the Civil Code art. 202 counts them: a month is complete on the same day of
    the later month, or on its last day when it has no such day (born 31 Oct: 6 months on 30 Apr)."""
    months = (on.year - birth.year) * 12 + on.month - birth.month
    month_ends = on.day == calendar.monthrange(on.year, on.month)[1]
    return months - 1 if on.day < birth.day and not month_ends else months


def eligible(child: Child, childcare_class: ChildcareClass, day: date) -> bool:
    age = age_in_months(child.birth_date, day)
    return childcare_class.min_age_months <= age < min(childcare_class.max_age_months, UNDER_MONTHS)


def is_childcare_staff(viewer: Viewer | None, center: ChildcareCenter) -> bool:
    return viewer is not None and viewer.is_staff_of(Role.CHILDCARE_STAFF, center.community_id)
