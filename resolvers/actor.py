"""The acting person, as every rule sees them (built from the bearer token by the server)."""

from dataclasses import dataclass

from models.people import Role


@dataclass(frozen=True)
class Viewer:
    """The signed-in person as the token states it."""

    person_id: int
    roles: frozenset[str]
    community_id: int | None = None
    session_id: int | None = None  # the sign-in session the token belongs to (None: not ours)
    issued_at: float | None = None  # the token's iat and exp, as POSIX seconds
    expires_at: float | None = None

    def has_role(self, *roles: str) -> bool:
        return not self.roles.isdisjoint(roles)

    def is_staff_of(self, role: Role, community_id: int) -> bool:
        """Staff of this role in that community, or an administrator."""
        return self.has_role(Role.ADMIN.value) or (
            self.has_role(role.value) and self.community_id == community_id
        )
