"""The schema changes the way mobile clients can live with.

Apps in people's phones keep their queries for months: against the last released SDL
(`schema/released.graphql`), the schema may only add, deprecate, and remove what that release had
deprecated. `linli release` records a release, refusing one that breaks clients. The check is
proven on hand-made pairs of schemas, each either accepted or refused.
"""

import re
import tomllib
import warnings
from datetime import date
from pathlib import Path

import pytest

from schema import build_schema
from server import release
from server.cli import main
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parents[2]
RELEASED = ROOT / "schema" / "released.graphql"
EXPORTED = ROOT / "schema" / "schema.graphql"


def test_the_schema_breaks_nothing_the_last_release_did_not_deprecate():
    comparison = release.compare(RELEASED.read_text(encoding="utf-8"), EXPORTED.read_text(encoding="utf-8"))

    for change in comparison.dangerous:  # allowed, but worth a look before the next release
        warnings.warn(f"dangerous for existing clients: {change}", stacklevel=1)
    assert comparison.breaking == [], (
        "breaking changes since the last release (schema/released.graphql) that were not first shipped "
        "as deprecations: deprecate with @deprecated(reason:), release, and remove in a later release\n"
        + "\n".join(f"  - {change}" for change in comparison.breaking)
    )


# ── The check on hand-made schemas ───────────────────────────────────────────────

OLD = """
type Query {
  name: String
  nickname: String @deprecated(reason: "Use name.")
  search(text: String, limit: Int, page: Int @deprecated(reason: "Use after.")): [String!]!
  kind: Kind
}
enum Kind { PLAIN FANCY @deprecated(reason: "Use PLAIN.") }
input Filter { text: String, legacy: String @deprecated(reason: "Use text.") }
type Mutation { find(filter: Filter): String }
"""


def changed(old: str, new: str) -> str:
    assert OLD.count(old) == 1, old
    return OLD.replace(old, new)


@pytest.mark.parametrize(
    ("new", "breaking", "removed_deprecated"),
    [
        pytest.param(OLD, [], [], id="unchanged"),
        pytest.param(
            changed("  name: String\n", ""), ["Field Query.name was removed."], [], id="removed-field-fails"
        ),
        pytest.param(
            changed('  nickname: String @deprecated(reason: "Use name.")\n', ""),
            [],
            ["Query.nickname"],
            id="removed-deprecated-field-passes",
        ),
        pytest.param(
            changed("limit: Int", "limit: String"),
            ["Argument Query.search(limit:) has changed type from Int to String."],
            [],
            id="changed-argument-type-fails",
        ),
        pytest.param(
            changed("limit: Int,", "limit: Int, near: String,"), [], [], id="added-optional-argument-passes"
        ),
        pytest.param(
            changed("limit: Int,", "limit: Int, near: String!,"),
            ["A required argument Query.search(near:) was added."],
            [],
            id="added-required-argument-fails",
        ),
        pytest.param(
            changed(', page: Int @deprecated(reason: "Use after.")', ""),
            [],
            ["Query.search(page:)"],
            id="removed-deprecated-argument-passes",
        ),
        pytest.param(
            changed(' FANCY @deprecated(reason: "Use PLAIN.")', ""),
            [],
            ["Kind.FANCY"],
            id="removed-deprecated-enum-value-passes",
        ),
        pytest.param(
            changed("{ PLAIN FANCY", "{ FANCY"),
            ["Enum value Kind.PLAIN was removed."],
            [],
            id="removed-enum-value-fails",
        ),
        pytest.param(
            changed(', legacy: String @deprecated(reason: "Use text.")', ""),
            [],
            ["Filter.legacy"],
            id="removed-deprecated-input-field-passes",
        ),
        pytest.param(
            changed(
                'nickname: String @deprecated(reason: "Use name.")',
                'nickname: Int @deprecated(reason: "Use name.")',
            ),
            ["Field Query.nickname changed type from String to Int."],
            [],
            id="deprecated-field-changing-type-fails",
        ),
        pytest.param(
            changed(
                "type Mutation { find(filter: Filter): String }", "type Mutation { find: String }"
            ).replace('input Filter { text: String, legacy: String @deprecated(reason: "Use text.") }\n', ""),
            ["Argument Mutation.find(filter:) was removed.", "Filter was removed."],
            [],
            id="removed-type-fails",
        ),
    ],
)
def test_only_removals_first_shipped_as_deprecations_may_break(new, breaking, removed_deprecated):
    comparison = release.compare(OLD, new)

    assert sorted(comparison.breaking) == sorted(breaking)
    assert comparison.removed_deprecated == removed_deprecated


def test_dangerous_changes_are_reported_not_refused():
    comparison = release.compare(OLD, changed("{ PLAIN FANCY", "{ PLAIN FANCY GRAND"))

    assert comparison.breaking == []
    assert comparison.dangerous == ["Enum value Kind.GRAND was added."]


def test_the_changelog_lists_what_changed_computed_from_the_two_schemas():
    new = (
        OLD.replace('  nickname: String @deprecated(reason: "Use name.")\n', "")
        .replace("  kind: Kind\n", '  kind: Kind @deprecated(reason: "Use kinds.")\n  kinds: [Kind!]!\n')
        .replace("limit: Int,", "limit: Int, near: String,")
        .replace("{ PLAIN FANCY", "{ PLAIN GRAND FANCY")
        + "type Extra { id: ID! }\n"
    )

    assert release.schema_changes(OLD, new) == [
        "Added type `Extra`",
        "Added enum value `Kind.GRAND`",
        "Added field `Query.kinds`",
        "Removed field `Query.nickname` (deprecated before)",
        "Deprecated field `Query.kind`: Use kinds.",
        "Added argument `Query.search(near:)`",
    ]


# ── `linli release` on a checkout in a temporary directory ────────────────────────

PYPROJECT = """[project]
name = "linli"
version = "0.1.0"
dependencies = []

[tool.elsewhere]
version = "9.9.9"
"""
LOCK = """version = 1

[[package]]
name = "alembic"
version = "1.20.1"

[[package]]
name = "linli"
version = "0.1.0"
source = { editable = "." }
"""
CHANGELOG = release.CHANGELOG_HEADER + "\n## 0.1.0 — 2026-12-02\n\nThe first.\n"


@pytest.fixture(scope="module")
def served() -> str:
    return build_schema(make_settings()).as_str() + "\n"


def checkout(root: Path, *, exported: str, released: str) -> Path:
    (root / "schema").mkdir()
    (root / "schema" / "schema.graphql").write_text(exported, encoding="utf-8")
    (root / "schema" / "released.graphql").write_text(released, encoding="utf-8")
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (root / "uv.lock").write_text(LOCK, encoding="utf-8")
    (root / "CHANGELOG.md").write_text(CHANGELOG, encoding="utf-8")
    return root


def files(root: Path) -> dict[str, str]:
    return {str(path.relative_to(root)): path.read_text(encoding="utf-8") for path in root.rglob("*.*")}


def with_query_field(sdl: str, field: str) -> str:
    assert sdl.count("type Query {\n") == 1
    return sdl.replace("type Query {\n", f"type Query {{\n  {field}\n", 1)


def test_release_records_the_sdl_the_version_and_the_changes(tmp_path, served, capsys):
    # given: the last release had a field that it deprecated and the served schema has dropped
    old = with_query_field(served, 'legacyCount: Int @deprecated(reason: "Use totalCount.")')
    root = checkout(tmp_path, exported=served, released=old)

    code = main(["release", "0.2.0", "--root", str(root)])

    out, err = capsys.readouterr()
    assert code == 0, err
    assert "已发布 0.2.0" in out
    assert (root / "schema" / "released.graphql").read_text(encoding="utf-8") == served
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    assert (pyproject["project"]["version"], pyproject["tool"]["elsewhere"]["version"]) == ("0.2.0", "9.9.9")
    lock = tomllib.loads((root / "uv.lock").read_text(encoding="utf-8"))
    assert {package["name"]: package["version"] for package in lock["package"]} == {
        "alembic": "1.20.1",
        "linli": "0.2.0",
    }
    changelog = (root / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.startswith(release.CHANGELOG_HEADER)
    newest = changelog[changelog.index("## 0.2.0") : changelog.index("## 0.1.0")]
    assert re.match(r"## 0\.2\.0 — \d{4}-\d{2}-\d{2}\n", newest), newest
    assert "Schema changes since 0.1.0:" in newest
    assert "- Removed field `Query.legacyCount` (deprecated before)" in newest


def test_release_refuses_a_breaking_change_and_changes_nothing(tmp_path, served, capsys):
    root = checkout(tmp_path, exported=served, released=with_query_field(served, "legacyCount: Int"))
    before = files(root)

    code = main(["release", "0.2.0", "--root", str(root)])

    _, err = capsys.readouterr()
    assert code == 1
    assert "拒绝发布" in err and "Field Query.legacyCount was removed." in err
    assert err.strip().count("\n") == 0, err
    assert files(root) == before


@pytest.mark.parametrize(
    ("version", "exported", "refusal"),
    [
        ("0.1.0", OLD, "须大于当前版本 0.1.0"),
        ("0.0.9", OLD, "须大于当前版本 0.1.0"),
        ("v0.2", OLD, "主.次.修订"),
        ("0.2.0", OLD + "scalar Drifted\n", "linli export-schema"),
    ],
    ids=["same-version", "older-version", "malformed-version", "exported-sdl-drifted"],
)
def test_release_refuses_a_version_that_does_not_grow_or_an_sdl_not_exported(
    tmp_path, version, exported, refusal
):
    root = checkout(tmp_path, exported=exported, released=OLD)
    before = files(root)

    with pytest.raises(release.ReleaseRefused, match=refusal):
        release.cut_release(root, version, OLD, date(2026, 12, 3))
    assert files(root) == before


def test_release_refuses_a_released_sdl_it_cannot_read(tmp_path):
    root = checkout(tmp_path, exported=OLD, released=OLD.replace("kind: Kind", "kind: Knd"))

    with pytest.raises(
        release.ReleaseRefused, match=re.escape("released.graphql 不是有效的 SDL：Unknown type 'Knd'")
    ):
        release.cut_release(root, "0.2.0", OLD, date(2026, 12, 3))
