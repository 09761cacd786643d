"""Shared numbers of the maker space: the calendar's zone."""
