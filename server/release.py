"""Releasing the graph the way mobile clients can live with.

Apps in people's phones keep their queries for months, so a release may remove only what an
earlier release deprecated (`@deprecated(reason:)`). `schema/released.graphql` is the SDL of the last
release; `compare` holds a newer SDL to it with graphql-core's find_breaking_changes, and
`cut_release` records a new release: the SDL, the version in pyproject.toml (and uv.lock's entry
of this package) and a CHANGELOG.md section of the schema changes, computed from the two SDLs.
"""

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path

import graphql
from graphql.language import REMOVE, Visitor, visit

VERSION = re.compile(r"\d+\.\d+\.\d+")
CHANGELOG_HEADER = """# Changelog

Every release of Linli's graph: its version (`pyproject.toml`), its SDL (`schema/released.graphql`)
and the schema changes since the release before, written by `linli release`.
"""


class ReleaseRefused(Exception):
    """A release that would break clients or is malformed; the message is for people (Chinese)."""


# ── Breaking changes ──────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Comparison:
    breaking: list[str]  # breaking changes that were not first shipped as deprecations
    removed_deprecated: list[str]  # removals of what the old SDL deprecated: allowed
    dangerous: list[str]  # may surprise clients (a new enum value, a new optional argument): allowed


def compare(old_sdl: str, new_sdl: str) -> Comparison:
    """The changes from `old_sdl` to `new_sdl` that clients would feel."""
    new = graphql.build_schema(new_sdl)
    old_document = graphql.parse(old_sdl)
    # Removals clients were warned of are taken out of the old SDL first: whatever breaks then,
    # breaks without warning.
    pruner = RemovedDeprecations(new)
    warned = graphql.build_ast_schema(visit(old_document, pruner))
    old = graphql.build_ast_schema(old_document)
    return Comparison(
        breaking=[change.description for change in graphql.find_breaking_changes(warned, new)],
        removed_deprecated=pruner.removed,
        dangerous=[change.description for change in graphql.find_dangerous_changes(old, new)],
    )


def is_deprecated(node) -> bool:
    return any(directive.name.value == "deprecated" for directive in node.directives or ())


def nearest(ancestors, kinds):
    return next((node for node in reversed(ancestors) if isinstance(node, kinds)), None)


TYPE_NODES = (graphql.TypeDefinitionNode, graphql.TypeExtensionNode)


class RemovedDeprecations(Visitor):
    """Drops from an old SDL each field, argument, input field and enum value that it deprecated and
    the new schema no longer has; `removed` names them (schema coordinates)."""

    def __init__(self, new: graphql.GraphQLSchema) -> None:
        super().__init__()
        self.new = new
        self.removed: list[str] = []

    def members_in_new(self, type_name: str) -> dict | None:
        """The new schema's fields (or enum values) of the type; None when the type itself is gone
        (its removal is a breaking change of its own)."""
        found = self.new.get_type(type_name)
        if isinstance(found, graphql.GraphQLEnumType):
            return found.values
        return getattr(found, "fields", None)

    def drop(self, node, coordinate: str, still_there: bool):
        if not is_deprecated(node) or still_there:
            return None
        self.removed.append(coordinate)
        return REMOVE

    def enter_field_definition(self, node, key, parent, path, ancestors):
        owner = nearest(ancestors, TYPE_NODES).name.value
        fields = self.members_in_new(owner)
        if fields is None:
            return None
        return self.drop(node, f"{owner}.{node.name.value}", node.name.value in fields)

    def enter_enum_value_definition(self, node, key, parent, path, ancestors):
        owner = nearest(ancestors, TYPE_NODES).name.value
        values = self.members_in_new(owner)
        if values is None:
            return None
        return self.drop(node, f"{owner}.{node.name.value}", node.name.value in values)

    def enter_input_value_definition(self, node, key, parent, path, ancestors):
        """An argument of a field, or a field of an input type (a directive's arguments stay)."""
        owner_node = nearest(ancestors, (*TYPE_NODES, graphql.DirectiveDefinitionNode))
        if isinstance(owner_node, graphql.DirectiveDefinitionNode):
            return None
        owner = owner_node.name.value
        members = self.members_in_new(owner)
        if members is None:
            return None
        field = nearest(ancestors, graphql.FieldDefinitionNode)
        name = node.name.value
        if field is None:  # an input field
            return self.drop(node, f"{owner}.{name}", name in members)
        in_new = members.get(field.name.value)
        if in_new is None:  # the field is gone: that removal is judged on its own
            return None
        return self.drop(node, f"{owner}.{field.name.value}({name}:)", name in in_new.args)


# ── What changed, for the changelog ──────────────────────────────────────────────


def named_types(schema: graphql.GraphQLSchema) -> dict[str, graphql.GraphQLNamedType]:
    return {
        name: named
        for name, named in schema.type_map.items()
        if not name.startswith("__") and not graphql.is_specified_scalar_type(named)
    }


def members(named: graphql.GraphQLNamedType) -> dict:
    """Fields of an object, interface or input type; values of an enum; nothing for the others."""
    if isinstance(named, graphql.GraphQLEnumType):
        return named.values
    return getattr(named, "fields", {})


def member_coordinate(type_name: str, member: str) -> str:
    return f"{type_name}.{member}"


def argument_coordinate(type_name: str, field_name: str, argument: str) -> str:
    return f"{type_name}.{field_name}({argument}:)"


def diff_members(kind: str, coordinate: Callable[[str], str], old: dict, new: dict) -> list[str]:
    """Added, removed, newly deprecated and retyped members (fields, arguments, enum values)."""
    lines = [f"Added {kind} `{coordinate(name)}`" for name in new if name not in old]
    lines += [
        f"Removed {kind} `{coordinate(name)}`"
        + (" (deprecated before)" if old[name].deprecation_reason else "")
        for name in old
        if name not in new
    ]
    for name in (name for name in new if name in old):
        before, after = old[name], new[name]
        if after.deprecation_reason and not before.deprecation_reason:
            lines.append(f"Deprecated {kind} `{coordinate(name)}`: {after.deprecation_reason}")
        if before.deprecation_reason and not after.deprecation_reason:
            lines.append(f"No longer deprecated: {kind} `{coordinate(name)}`")
        if hasattr(after, "type") and str(before.type) != str(after.type):
            lines.append(f"Changed {kind} `{coordinate(name)}`: `{before.type}` → `{after.type}`")
    return lines


def type_changes(name: str, before: graphql.GraphQLNamedType, after: graphql.GraphQLNamedType) -> list[str]:
    """What changed inside one type that both schemas have."""
    if type(before) is not type(after):
        return [f"Changed type `{name}` from {type(before).__name__} to {type(after).__name__}"]
    kind = {graphql.GraphQLEnumType: "enum value", graphql.GraphQLInputObjectType: "input field"}
    lines = diff_members(
        kind.get(type(after), "field"), partial(member_coordinate, name), members(before), members(after)
    )
    for field_name, field in members(after).items():
        old_field = members(before).get(field_name)
        if old_field is not None and hasattr(field, "args"):
            coordinate = partial(argument_coordinate, name, field_name)
            lines += diff_members("argument", coordinate, old_field.args, field.args)
    if isinstance(after, graphql.GraphQLUnionType):
        old_members = {member.name for member in before.types}
        new_members = {member.name for member in after.types}
        lines += [f"Added `{member}` to union `{name}`" for member in sorted(new_members - old_members)]
        lines += [f"Removed `{member}` from union `{name}`" for member in sorted(old_members - new_members)]
    return lines


def schema_changes(old_sdl: str, new_sdl: str) -> list[str]:
    """Types, fields, arguments, input fields and enum values added, removed or deprecated."""
    old_types = named_types(graphql.build_schema(old_sdl))
    new_types = named_types(graphql.build_schema(new_sdl))
    lines = [f"Added type `{name}`" for name in sorted(new_types.keys() - old_types.keys())]
    lines += [f"Removed type `{name}`" for name in sorted(old_types.keys() - new_types.keys())]
    for name in sorted(old_types.keys() & new_types.keys()):
        lines += type_changes(name, old_types[name], new_types[name])
    return lines


# ── Cutting a release ──────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Release:
    version: str
    previous_version: str
    changes: list[str]
    dangerous: list[str]


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def project_version(pyproject: str) -> str:
    return tomllib.loads(pyproject)["project"]["version"]


def with_project_version(pyproject: str, version: str) -> str:
    """pyproject.toml with [project]'s version set, the rest of the file as it was."""
    start = pyproject.index("[project]")
    end = pyproject.find("\n[", start)
    end = len(pyproject) if end == -1 else end
    table = re.sub(r'(?m)^version = "[^"]*"', f'version = "{version}"', pyproject[start:end], count=1)
    return pyproject[:start] + table + pyproject[end:]


def with_locked_version(lock: str, name: str, version: str) -> str:
    """uv.lock with this package's own entry at the new version (`uv sync --locked` compares them)."""
    pattern = rf'(\[\[package\]\]\nname = "{re.escape(name)}"\nversion = )"[^"]*"'
    return re.sub(pattern, rf'\1"{version}"', lock, count=1)


def changelog_section(release: Release, day: date) -> str:
    lines = [
        f"## {release.version} — {day.isoformat()}",
        "",
        f"Schema changes since {release.previous_version}:",
        "",
    ]
    lines += [f"- {change}" for change in release.changes] or ["- none"]
    if release.dangerous:
        lines += ["", "Dangerous for existing clients (values or types they have not seen yet):", ""]
        lines += [f"- {change}" for change in release.dangerous]
    return "\n".join(lines) + "\n"


def with_section(changelog: str, section: str) -> str:
    """The changelog with the new section first, under its introduction."""
    first = re.search(r"(?m)^## ", changelog)
    if first is None:
        return changelog.rstrip("\n") + "\n\n" + section
    return changelog[: first.start()] + section + "\n" + changelog[first.start() :]


def sdl_problem(sdl: str) -> str | None:
    """Why the SDL cannot be built (its first line), or None."""
    try:
        graphql.build_schema(sdl)
    except (graphql.GraphQLError, TypeError) as error:  # graphql-core reports an invalid SDL as TypeError
        return str(error).splitlines()[0]
    return None


def cut_release(root: Path, version: str, served_sdl: str, day: date) -> Release:
    """Records `served_sdl` as release `version` in the checkout at `root`, unless it breaks clients."""
    released, exported = root / "schema" / "released.graphql", root / "schema" / "schema.graphql"
    pyproject, changelog, lock = root / "pyproject.toml", root / "CHANGELOG.md", root / "uv.lock"

    if not VERSION.fullmatch(version):
        raise ReleaseRefused(f"版本号须为 主.次.修订（例如 0.2.0），收到 {version}")
    previous = project_version(pyproject.read_text(encoding="utf-8"))
    if version_tuple(version) <= version_tuple(previous):
        raise ReleaseRefused(f"版本号 {version} 须大于当前版本 {previous}")
    if not released.exists():
        raise ReleaseRefused("缺少 schema/released.graphql（上一版的 SDL）")
    if exported.read_text(encoding="utf-8") != served_sdl:
        raise ReleaseRefused("schema/schema.graphql 与服务的 SDL 不一致：先运行 linli export-schema 并提交")
    old_sdl = released.read_text(encoding="utf-8")
    problem = sdl_problem(old_sdl)
    if problem is not None:
        raise ReleaseRefused(f"schema/released.graphql 不是有效的 SDL：{problem}")
    comparison = compare(old_sdl, served_sdl)
    if comparison.breaking:
        raise ReleaseRefused(
            "破坏性变更未先以 @deprecated(reason:) 发布，拒绝发布：" + "；".join(comparison.breaking)
        )

    release = Release(version, previous, schema_changes(old_sdl, served_sdl), comparison.dangerous)
    released.write_text(served_sdl, encoding="utf-8")
    pyproject.write_text(
        with_project_version(pyproject.read_text(encoding="utf-8"), version), encoding="utf-8"
    )
    if lock.exists():
        lock.write_text(
            with_locked_version(lock.read_text(encoding="utf-8"), "linli", version), encoding="utf-8"
        )
    text = changelog.read_text(encoding="utf-8") if changelog.exists() else CHANGELOG_HEADER
    changelog.write_text(with_section(text, changelog_section(release, day)), encoding="utf-8")
    return release
