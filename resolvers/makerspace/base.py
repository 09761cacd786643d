"""Shared numbers of the maker space: the calendar's zone."""

from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
