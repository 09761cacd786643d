"""The 15-minute life circle: facilities near a point, open when asked, and how complete a life
circle is. What other layers use."""

from resolvers.facilities.search import (
    FacilityAt,
    NearbyFilter,
    Walking,
    count_nearby,
    life_circle,
    search_nearby,
)

__all__ = [
    "FacilityAt",
    "NearbyFilter",
    "Walking",
    "count_nearby",
    "life_circle",
    "search_nearby",
]
