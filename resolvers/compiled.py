"""The compiled read path's SQL side (#19): a selection becomes one statement whose JSON PostgreSQL
builds, prepared once per shape and run with the request's values as bind parameters.

The graph side (schema/compiled.py) hands over a `Selected` tree: what the client asked for, with
fragments, directives and variables already applied by graphql-core. Each object type the path can
build declares its fields here in SQL (`ObjectType`); the resolvers read the same expressions, so
a field's meaning is written once. Anything not declared raises NotPlannable and the operation runs
through the resolvers instead.
"""

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain
from typing import Any

from sqlalchemy import BigInteger, Boolean, Integer, Text, bindparam, case, cast, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.sql.elements import Label
from sqlalchemy.util.concurrency import greenlet_spawn

# json_build_object takes at most 100 arguments (PostgreSQL's FUNC_MAX_ARGS): 50 keys.
MAX_KEYS = 50
_DIALECT = asyncpg_dialect()
VIEWER_PREFIX = "viewer_"


class NotPlannable(Exception):
    """The selection asks for something the compiled path does not build."""


@dataclass(frozen=True)
class Selected:
    """One field of the response: its key (the alias, else the name), the schema's field name, its
    arguments (coerced, by their schema names) and, for an object, what is selected of it."""

    key: str
    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    selections: tuple["Selected", ...] = ()

    def structure(self) -> tuple:
        """What the statement depends on: keys, names and nesting, not argument values (bound)."""
        return (self.key, self.name, tuple(child.structure() for child in self.selections))


@dataclass(frozen=True)
class Env:
    """What a request lends its values: the clock's now, the settings; and, shared by the planners
    of one operation's root fields, the lookups they batch (by_ids)."""

    now: datetime
    settings: Any
    batches: dict = field(default_factory=dict, compare=False)


Path = tuple[str, ...]  # response keys from the root field down to a field


@dataclass(frozen=True)
class FieldSQL:
    """How one field of an object type is built: `sql(source, selected, path)` gives its JSON value
    from the row `source` (anything with `.c[label]`), its arguments bound with `bound(path, name)`;
    `parameters(arguments, env)` gives those arguments' values; `of`: the object type it returns,
    when its selection may hold bound arguments."""

    sql: Callable[[Any, Selected, Path], Any]
    parameters: Callable[[Mapping[str, Any], Env], dict[str, Any]] | None = None
    of: "ObjectType | None" = None


@dataclass(frozen=True)
class ObjectType:
    name: str
    fields: Mapping[str, FieldSQL]


def quoted(text: str) -> Any:
    """A constant SQL string (GraphQL names and type names only: [_A-Za-z0-9], nothing to escape)."""
    if not text.replace("_", "a").isalnum():
        raise NotPlannable(text)
    return literal_column(f"'{text}'")


def json_object(pairs: list[tuple[str, Any]]) -> Any:
    if len(pairs) > MAX_KEYS:
        raise NotPlannable(f"{len(pairs)} keys in one object")
    return func.json_build_object(*chain.from_iterable((quoted(key), value) for key, value in pairs))


def empty_array(expression: Any) -> Any:
    """A list field is [] when nothing matched (json_agg over no rows is NULL)."""
    return func.coalesce(expression, literal_column("'[]'::json"))


def base64url(text: Any) -> Any:
    """base64url without padding (Python's urlsafe_b64encode(…).rstrip("=")) of UTF-8 text."""
    encoded = func.encode(func.convert_to(text, literal_column("'UTF8'")), literal_column("'base64'"))
    return func.rtrim(
        func.translate(encoded, literal_column("E'+/\\n'"), literal_column("'-_'")), literal_column("'='")
    )


def global_id(type_name: str, pk: Any) -> Any:
    """schema.common.encode_global_id in SQL: base64url of "Type:pk"."""
    return base64url(func.concat(quoted(type_name), literal_column("':'"), cast(pk, Text)))


def bind_name(path: Path, argument: str) -> str:
    return "__".join((*path, argument))


def bound(path: Path, argument: str) -> Any:
    return bindparam(bind_name(path, argument))


class _ByLabel(dict):
    """`.c` of Columns: by label as `c["name"]` or `c.name`, as a table's columns are."""

    def __getattr__(self, label: str) -> Any:
        try:
            return self[label]
        except KeyError:
            raise AttributeError(label) from None


class Columns:
    """Labelled expressions as a source of fields (`.c[label]`), e.g. a table's computed columns."""

    def __init__(self, columns: tuple) -> None:
        self.c = _ByLabel()
        for column in columns:
            expression = column.__clause_element__() if hasattr(column, "__clause_element__") else column
            self.c[expression.key] = expression.element if isinstance(expression, Label) else expression


def column(label: str) -> FieldSQL:
    """A field that is its source's column of that label."""
    return FieldSQL(sql=lambda source, _selected, _path: source.c[label])


def list_of(kind: ObjectType, source: Columns, order: tuple, where: Callable[[Any], Any]) -> FieldSQL:
    """A list field: the rows of `source` that `where(parent's source)` keeps, in `order`, each an
    object of `kind` (a correlated subquery: one per parent row)."""

    def sql(parent: Any, selected: Selected, path: Path) -> Any:
        element = object_json(kind, source, selected.selections, path=path)
        aggregate = func.json_agg(aggregate_order_by(element, *order))
        return select(empty_array(aggregate)).where(where(parent)).scalar_subquery()

    return FieldSQL(sql=sql, of=kind)


def object_json(kind: ObjectType, source: Any, selections: tuple[Selected, ...], *, path: Path) -> Any:
    """The JSON object of `selections` of one row of `kind`, keys in the order asked."""
    pairs = []
    for selected in selections:
        if selected.name == "__typename":
            pairs.append((selected.key, quoted(kind.name)))
            continue
        declared = kind.fields.get(selected.name)
        if declared is None:
            raise NotPlannable(f"{kind.name}.{selected.name}")
        pairs.append((selected.key, declared.sql(source, selected, (*path, selected.key))))
    return json_object(pairs)


def bound_values(
    kind: ObjectType, selections: tuple[Selected, ...], env: Env, *, path: Path
) -> dict[str, Any]:
    """The values of every bound argument under `selections`, named as object_json binds them."""
    values: dict[str, Any] = {}
    for selected in selections:
        declared = kind.fields.get(selected.name)
        if declared is None:
            continue
        here = (*path, selected.key)
        if declared.parameters is not None:
            for argument, value in declared.parameters(selected.arguments, env).items():
                values[bind_name(here, argument)] = value
        if declared.of is not None:
            values.update(bound_values(declared.of, selected.selections, env, path=here))
    return values


def one_of(kind: ObjectType, source: Columns, where: Callable[[Any], Any]) -> FieldSQL:
    """An object field: the row of `source` that `where(parent's source)` keeps (a correlated
    subquery; null when there is none)."""

    def sql(parent: Any, selected: Selected, path: Path) -> Any:
        element = object_json(kind, source, selected.selections, path=path)
        return select(element).where(where(parent)).scalar_subquery()

    return FieldSQL(sql=sql, of=kind)


def selects(selections: tuple[Selected, ...], path: tuple[str, ...]) -> bool:
    """Whether the field at `path` (schema names) is selected, under any alias."""
    if not path:
        return True
    return any(field.name == path[0] and selects(field.selections, path[1:]) for field in selections)


@dataclass(frozen=True)
class Prepared:
    """A statement as text for asyncpg ($1, $2 …) and the names of its parameters in that order."""

    sql: str
    names: tuple[str, ...]
    constants: Mapping[str, Any]  # the statement's own literals, bound (4326, the slack …)

    def arguments(self, values: Mapping[str, Any]) -> tuple:
        return tuple(values[name] if name in values else self.constants[name] for name in self.names)


def prepare(statement: Any) -> Prepared:
    compiled = statement.compile(dialect=_DIALECT)
    # A viewer's part of a statement (resolvers.eldercare.access.visible_elders) is never kept from
    # the request that built it: each request must bind its own, or the statement fails.
    constants = {
        name: value
        for name, value in compiled.params.items()
        if value is not None and not name.startswith(VIEWER_PREFIX)
    }
    return Prepared(sql=str(compiled), names=tuple(compiled.positiontup or ()), constants=constants)


class Plans:
    """A bounded cache of prepared statements by what they depend on (a few hundred shapes at most
    for the clients' documents; an attacker's variety only evicts)."""

    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._plans: OrderedDict[Any, Prepared] = OrderedDict()

    def get(self, key: Any, build: Callable[[], Any]) -> Prepared:
        plan = self._plans.get(key)
        if plan is None:
            plan = prepare(build())
            self._plans[key] = plan
            if len(self._plans) > self._size:
                self._plans.popitem(last=False)
        else:
            self._plans.move_to_end(key)
        return plan


async def _fetch(session: AsyncSession, prepared: Prepared, values: Mapping[str, Any], method: str) -> Any:
    """The statement run straight on asyncpg (prepared once per connection by its statement cache),
    with no transaction of its own (one statement reads one snapshot; no BEGIN and ROLLBACK round
    trips; the access log of what it read is written after it, before the answer goes, as on the
    resolver path: Context.close). `method`: asyncpg's fetchrow or fetch.

    A request that has not used its session yet reads on a connection taken from the pool and given
    straight back, without the session's machinery (most reads are one statement); one already in a
    transaction (or a test's session bound to its own connection) reads on that connection, and
    SQLAlchemy's cursor listeners (the tests' statement counts) are told of the statement."""
    arguments = prepared.arguments(values)
    bind = session.bind
    if isinstance(bind, AsyncEngine) and not session.in_transaction():
        pooled = await bind.raw_connection()
        try:
            return await getattr(pooled.driver_connection, method)(prepared.sql, *arguments)
        finally:
            await greenlet_spawn(pooled.close)
    connection = await session.connection()
    sync = connection.sync_connection
    if sync.dispatch.before_cursor_execute:
        sync.dispatch.before_cursor_execute(sync, None, prepared.sql, arguments, None, False)
    raw = await connection.get_raw_connection()
    return await getattr(raw.driver_connection, method)(prepared.sql, *arguments)


async def fetch_row(*, session: AsyncSession, prepared: Prepared, values: Mapping[str, Any]) -> tuple | None:
    """The statement's one row (see _fetch); None when there is none."""
    row = await _fetch(session, prepared, values, "fetchrow")
    return tuple(row) if row is not None else None


async def fetch_rows(*, session: AsyncSession, prepared: Prepared, values: Mapping[str, Any]) -> list[tuple]:
    """The statement's rows (see _fetch)."""
    return [tuple(row) for row in await _fetch(session, prepared, values, "fetch")]


async def fetch_json(*, session: AsyncSession, prepared: Prepared, values: Mapping[str, Any]) -> str | None:
    """The statement's first value, JSON text (see fetch_row); None when it found no row."""
    row = await fetch_row(session=session, prepared=prepared, values=values)
    return row[0] if row is not None else None


def objects_by_ids(kind: ObjectType, source: Any, selections: tuple[Selected, ...], *extra: Any) -> Any:
    """node(id:)'s statement for `kind`: (id, the object's JSON text, *extra) of each row of
    `source` whose id is among the bound `ids` (its fields' arguments bound from the path ())."""
    element = object_json(kind, source, selections, path=())
    ids = cast(bindparam("ids"), ARRAY(BigInteger))
    return select(source.c.id, cast(element, Text), *extra).where(source.c.id == func.any(ids))


@dataclass
class _Batch:
    ids: list[int]
    rows: dict[int, tuple] | None = None


def by_ids(
    env: Env, prepared: Prepared, values: Mapping[str, Any], pk: int
) -> Callable[[AsyncSession], Awaitable[tuple | None]]:
    """The row of `pk` (without its id) from an objects_by_ids statement: every lookup in one
    operation of the same statement and values (node(id:) under many aliases) shares one run of it,
    at the first lookup's turn, so a request costs what one lookup costs."""
    try:
        key = (prepared.sql, tuple(sorted(values.items())))
        hash(key)
    except TypeError:  # a value that cannot key a batch: a lookup of its own
        key = object()
    batch = env.batches.setdefault(key, _Batch(ids=[]))
    batch.ids.append(pk)

    async def run(session: AsyncSession) -> tuple | None:
        if batch.rows is None:
            rows = await fetch_rows(session=session, prepared=prepared, values={**values, "ids": batch.ids})
            batch.rows = {row[0]: row[1:] for row in rows}
        return batch.rows.get(pk)

    return run


def _offset_text(seconds: Any) -> Any:
    """±HH:MM (±HH:MM:SS when not whole minutes), as Python's isoformat writes a UTC offset."""
    sign = case((seconds < 0, literal_column("'-'")), else_=literal_column("'+'"))
    size = func.abs(seconds)
    hours_minutes = func.concat(
        sign,
        func.lpad(cast(size // 3600, Text), 2, literal_column("'0'")),
        literal_column("':'"),
        func.lpad(cast(size % 3600 // 60, Text), 2, literal_column("'0'")),
    )
    return case(
        (size % 60 == 0, hours_minutes),
        else_=func.concat(
            hours_minutes, literal_column("':'"), func.lpad(cast(size % 60, Text), 2, literal_column("'0'"))
        ),
    )


def datetime_text(moment: Any, zone: str = "Asia/Shanghai") -> Any:
    """schema.scalars.serialize_datetime in SQL: the moment's wall time in `zone` as Python's
    isoformat writes it (microseconds only when there are any) and the zone's offset then."""
    wall = func.timezone(literal_column(f"'{zone}'"), moment)
    micro = cast(func.date_part(literal_column("'microseconds'"), wall), Integer) % 1000000
    fraction = case(
        (micro == 0, literal_column("''")),
        else_=func.concat(literal_column("'.'"), func.lpad(cast(micro, Text), 6, literal_column("'0'"))),
    )
    offset = cast(
        func.date_part(literal_column("'epoch'"), wall - func.timezone(literal_column("'UTC'"), moment)),
        Integer,
    )
    text = func.concat(
        func.to_char(wall, literal_column("'YYYY-MM-DD\"T\"HH24:MI:SS'")), fraction, _offset_text(offset)
    )
    return case((moment.is_(None), None), else_=text)


@dataclass(frozen=True)
class Ranked:
    """A page of at most `first` + 1 rows (the one past it tells whether more follow), each with its
    `position` in the page's order and the page's `rows`; `first` and the edges shown."""

    rows: Any  # the subquery: the page's columns, position, rows
    first: Any
    shown: Any

    @classmethod
    def of(cls, page: Any, order: tuple) -> "Ranked":
        """`page`: a subquery of the rows (with a `cursor` column) limited to `limit` = first + 1."""
        position = func.row_number().over(order_by=order).label("position")
        ranked = select(page, position, func.count().over().label("rows")).subquery("ranked")
        first = cast(bound((), "first"), Integer)
        return cls(rows=ranked, first=first, shown=ranked.c.position <= first)


def connection_json(
    ranked: Ranked,
    selected: Selected,
    *,
    name: str,
    edge: ObjectType,
    extra: Mapping[str, Callable[[], Any]] = {},
) -> Any:
    """A Relay connection's JSON from a ranked page: `edges` (the first `first` rows, in order),
    `pageInfo` and `__typename`; `extra`: other fields of the connection (e.g. totalCount). Bound
    parameters: first, has_previous (and limit, in the page)."""
    rows, pairs = ranked.rows, []
    for asked in selected.selections:
        path = (selected.key, asked.key)
        if asked.name == "__typename":
            value = quoted(name)
        elif asked.name == "edges":
            element = object_json(edge, rows, asked.selections, path=path)
            value = empty_array(
                func.json_agg(aggregate_order_by(element, rows.c.position)).filter(ranked.shown)
            )
        elif asked.name == "pageInfo":
            value = _page_info(ranked, asked)
        elif asked.name in extra:
            value = extra[asked.name]()
        else:
            raise NotPlannable(f"{name}.{asked.name}")
        pairs.append((asked.key, value))
    return json_object(pairs)


def _page_info(ranked: Ranked, selected: Selected) -> Any:
    """The Relay spec's page info of a forward page, as schema.common.PageInfo.of makes it."""
    rows, first, pairs = ranked.rows, ranked.first, []
    for asked in selected.selections:
        if asked.name == "__typename":
            value = quoted("PageInfo")
        elif asked.name == "hasNextPage":
            value = func.count() > first
        elif asked.name == "hasPreviousPage":
            value = cast(bound((), "has_previous"), Boolean)
        elif asked.name == "startCursor":
            value = func.min(rows.c.cursor).filter(rows.c.position == 1, ranked.shown)
        elif asked.name == "endCursor":
            value = func.min(rows.c.cursor).filter(rows.c.position == func.least(first, rows.c.rows))
        else:
            raise NotPlannable(f"PageInfo.{asked.name}")
        pairs.append((asked.key, value))
    return json_object(pairs)


def one_row(*columns: Any, ranked: Ranked) -> Any:
    """The statement: one row whatever the page (grouped by nothing: an empty page too)."""
    return select(*columns).select_from(ranked.rows).group_by(literal_column("()"))


def page_values(*, first: int, after: Any) -> dict[str, Any]:
    return {"first": first, "limit": first + 1, "has_previous": after is not None}
