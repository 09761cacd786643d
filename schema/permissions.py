"""Who may call a field. Declared next to the field, checked before its resolver runs."""

from typing import Any

from graphql import GraphQLError
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info

from models.people import Role


def unauthenticated() -> GraphQLError:
    return GraphQLError("请先登录", extensions={"code": "UNAUTHENTICATED"})


def forbidden() -> GraphQLError:
    return GraphQLError("没有权限执行此操作", extensions={"code": "FORBIDDEN"})


class IsAuthenticated(BasePermission):
    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        if info.context.viewer is None:
            raise unauthenticated()
        return True


class HasRole(BasePermission):
    """Signed in and holding at least one of the roles."""

    def __init__(self, *roles: Role) -> None:
        self.roles = tuple(role.value for role in roles)

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        if viewer is None:
            raise unauthenticated()
        if not viewer.has_role(*self.roles):
            raise forbidden()
        return True


def signed_in() -> list[PermissionExtension]:
    return [PermissionExtension(permissions=[IsAuthenticated()], use_directives=False)]


def has_role(*roles: Role) -> list[PermissionExtension]:
    return [PermissionExtension(permissions=[HasRole(*roles)], use_directives=False)]
