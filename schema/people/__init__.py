"""People in the graph: the viewer, communities, signing in and sessions (base); the community
office's people, roles, password codes and audit trail (office)."""

import strawberry

from schema.people.base import Community, PeopleBaseMutation, PeopleBaseQuery
from schema.people.office import OfficeMutation, OfficeQuery


@strawberry.type
class PeopleQuery(PeopleBaseQuery, OfficeQuery):
    pass


@strawberry.type
class PeopleMutation(PeopleBaseMutation, OfficeMutation):
    pass


__all__ = ["Community", "PeopleMutation", "PeopleQuery"]
