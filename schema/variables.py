"""Variables coerced by a function compiled once per operation (#19).

graphql-core's `get_variable_values` walks each value with generic, type-dispatching code: a
gateway's batch of 500 readings costs about 2.5 ms of it (bench/variable_coercion.py; about 0.5 ms
compiled). `CompiledVariables` (the schema's execution class) builds, for each operation text seen
(an LRU of `CACHE_SIZE` per schema), one function per variable from the schema's input types: an
input object's fields unrolled into generated source, lists, non-null, enums by a dict, and every
other scalar through its own `coerce_input_value` (our DateTime and Date still run their parse_value).

The compiled path only decides valid input. Anything it does not accept exactly as graphql-core
would (a wrong type, a missing non-null, an unknown field, oneOf types, a default that fails…) is
handed to graphql-core's own `Executor.build`, so every error, message, path and extension is
graphql-core's by construction. For valid input the result equals `get_variable_values(...)`: the
same coerced dict and the same sources (tests/api/test_variable_coercion.py checks both).
"""

from collections import OrderedDict
from collections.abc import Callable
from math import isfinite
from typing import Any
from weakref import WeakKeyDictionary

from graphql import (
    GraphQLEnumType,
    GraphQLError,
    GraphQLFloat,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    GraphQLString,
    assert_valid_schema,
    is_input_type,
)
from graphql.execution import MiddlewareManager
from graphql.execution.collect_fields import FragmentDetails
from graphql.execution.executor import default_field_resolver, default_type_resolver
from graphql.execution.get_variable_signature import get_variable_signature
from graphql.execution.values import (
    VariableValues,
    VariableValueSource,
    input_is_nested_too_deeply,
    maybe_use_default_value,
)
from graphql.language import DocumentNode, FragmentDefinitionNode, OperationDefinitionNode
from graphql.language.parser import MAX_NESTING_DEPTH
from graphql.pyutils import Undefined, is_iterable
from graphql.type import is_required_input_field
from graphql.utilities import coerce_input_value, type_from_ast
from graphql.utilities.coerce_input_value import coerce_default_value
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

CACHE_SIZE = 256

Coerce = Callable[[Any], Any]


class Generic(Exception):
    """Not an error: "let graphql-core decide" (it reports the errors, or coerces what we do not)."""


def _generic(*_args: Any) -> None:
    raise Generic


# ── Compiling a type ─────────────────────────────────────────────────────────


class _Compiler:
    """One coercing closure per input type, each raising `Generic` wherever graphql-core's
    `coerce_input_value` would return Undefined (or where it is not worth copying its rule)."""

    def __init__(self) -> None:
        self.named: dict[GraphQLInputObjectType, Coerce] = {}
        self.recursive = False

    def nullable(self, type_: GraphQLInputType) -> Coerce:
        if isinstance(type_, GraphQLNonNull):
            inner = self.bare(type_.of_type)

            def non_null(value: Any) -> Any:
                if value is None or value is Undefined:
                    raise Generic
                return inner(value)

            return non_null
        inner = self.bare(type_)

        def maybe(value: Any) -> Any:
            if value is None or value is Undefined:
                return None
            return inner(value)

        return maybe

    def bare(self, type_: GraphQLInputType) -> Coerce:
        if isinstance(type_, GraphQLList):
            return self.as_list(type_.of_type)
        if isinstance(type_, GraphQLInputObjectType):
            return self.input_object(type_)
        if isinstance(type_, GraphQLEnumType):
            return _enum(type_)
        return _scalar(type_)

    def as_list(self, item_type: GraphQLInputType) -> Coerce:
        if isinstance(item_type, GraphQLNonNull):
            inner = self.bare(item_type.of_type)

            def non_null_items(value: Any) -> list:
                if value.__class__ is list or is_iterable(value):
                    return [_fail() if each is None or each is Undefined else inner(each) for each in value]
                return [inner(value)]  # a lone value (never null here) is a list of one

            return non_null_items
        inner = self.bare(item_type)

        def items(value: Any) -> list:
            if value.__class__ is list or is_iterable(value):
                return [None if each is None or each is Undefined else inner(each) for each in value]
            return [inner(value)]

        return items

    def input_object(self, type_: GraphQLInputObjectType) -> Coerce:
        if type_ in self.named:  # a type reached from itself: bound once compiled, below
            self.recursive = True
            return lambda value: self.named[type_](value)
        if type_.is_one_of:
            self.named[type_] = _whole(type_)
            return self.named[type_]
        self.named[type_] = _generic  # placeholder while its fields compile
        self.named[type_] = coerce = _input_object_source(self, type_)
        return coerce


def _fail() -> Any:
    raise Generic


def _input_object_source(compiler: _Compiler, type_: GraphQLInputObjectType) -> Coerce:
    """One function, its fields unrolled in the type's order as graphql-core coerces them. Keys the
    type does not define (or Undefined values) go to graphql-core; so do a missing required field,
    a null for a non-null one and any value a field's coercion refuses."""
    namespace: dict[str, Any] = {
        "Generic": Generic,
        "Undefined": Undefined,
        "isfinite": isfinite,
        "coerce_default_value": coerce_default_value,
        "names": frozenset(type_.fields),
        "out_type": type_.out_type,
    }
    lines = [
        "def input_object(value):",
        "    if not isinstance(value, dict) or not names.issuperset(value):",
        "        raise Generic",
        "    coerced = {}",
        "    get = value.get",
    ]
    for index, (name, field) in enumerate(type_.fields.items()):
        out = repr(field.out_name or name)
        field_type = field.type
        non_null = isinstance(field_type, GraphQLNonNull)
        bare = field_type.of_type if non_null else field_type
        namespace[f"c{index}"], namespace[f"f{index}"] = compiler.bare(bare), field
        if bare is GraphQLString:
            expression = f"v if v.__class__ is str else c{index}(v)"
        elif bare is GraphQLFloat:  # coerce_float gives a finite float back as it is
            expression = f"v if v.__class__ is float and isfinite(v) else c{index}(v)"
        else:
            expression = f"c{index}(v)"
        lines.append(f"    v = get({name!r}, Undefined)")
        lines.append("    if v is Undefined:")
        if is_required_input_field(field):
            lines.append("        raise Generic")
        elif field.default is not None or field.default_value is not Undefined:
            lines.append(f"        d = coerce_default_value(f{index})")
            lines.append(f"        if d is not Undefined: coerced[{out}] = d")
        else:
            lines.append("        pass")
        lines.append("    elif v is None:")
        lines.append("        raise Generic" if non_null else f"        coerced[{out}] = None")
        lines.append("    else:")
        lines.append(f"        coerced[{out}] = {expression}")
    if type_.out_type is GraphQLInputObjectType.out_type:
        lines.append("    return coerced")
    else:
        lines.append("    return out_type(coerced)")
    exec(compile("\n".join(lines), f"<input {type_.name}>", "exec"), namespace)
    return namespace["input_object"]


def _whole(type_: GraphQLInputType) -> Coerce:
    """graphql-core's coercion of this type, as it is (oneOf types: rare and subtle)."""

    def whole(value: Any) -> Any:
        coerced = coerce_input_value(value, type_)
        if coerced is Undefined:
            raise Generic
        return coerced

    return whole


def _enum(type_: GraphQLEnumType) -> Coerce:
    # Each name's value as the type's own coercion gives it (strawberry wraps it in its Python enum).
    members = {name: type_.coerce_input_value(name) for name in type_.values}
    slow = _scalar(type_)

    def enum(value: Any) -> Any:
        try:
            return members[value]
        except (KeyError, TypeError):  # not a name (nor hashable): the type's own rule
            return slow(value)

    return enum


def _scalar(type_: Any) -> Coerce:
    parse = type_.coerce_input_value  # our DateTime and Date: their parse_value, every time

    def scalar(value: Any) -> Any:
        try:
            coerced = parse(value)
        except Exception:
            raise Generic from None
        if coerced is Undefined:
            raise Generic
        return coerced

    if type_ is GraphQLString:

        def string(value: Any) -> Any:
            return value if value.__class__ is str else scalar(value)  # a str is its own String

        return string
    return scalar


# ── Compiling an operation ───────────────────────────────────────────────────


class _Operation:
    """The variables of one operation text: their names and coercing closures, in order."""

    def __init__(self, schema: GraphQLSchema, operation: OperationDefinitionNode) -> None:
        compiler = _Compiler()
        self.variables: list[tuple[str, bool, Coerce]] = []
        self.types: list[GraphQLInputType] = []
        for definition in operation.variable_definitions or ():
            type_ = type_from_ast(schema, definition.type)
            if not is_input_type(type_):
                raise Generic  # graphql-core's error, every time
            self.types.append(type_)
            self.variables.append(
                (definition.variable.name.value, isinstance(type_, GraphQLNonNull), compiler.nullable(type_))
            )
        # Depth is bounded by the types unless one reaches itself; graphql-core checks it otherwise.
        depths: dict[GraphQLInputObjectType, int] = {}
        self.check_depth = compiler.recursive or any(
            _depth(coerce_type, depths) > MAX_NESTING_DEPTH for coerce_type in self.types
        )

    def coerce(
        self,
        schema: GraphQLSchema,
        operation: OperationDefinitionNode,
        inputs: dict[str, Any],
        hide_suggestions: bool,
    ) -> VariableValues:
        sources: dict[str, VariableValueSource] = {}
        coerced: dict[str, Any] = {}
        definitions = operation.variable_definitions or ()
        if len(definitions) != len(self.variables):
            raise Generic
        for definition, (name, non_null, coerce) in zip(definitions, self.variables, strict=True):
            # A fresh signature a request, as graphql-core makes it: a default's coerced value is
            # memoized on it, and must not be shared between requests.
            signature = get_variable_signature(schema, definition)
            if isinstance(signature, GraphQLError):
                raise Generic
            value = inputs.get(name, Undefined)
            if value is Undefined:
                sources[name] = VariableValueSource(signature)
                if definition.default_value:
                    maybe_use_default_value(coerced, name, signature, _generic, hide_suggestions)
                    continue
                if not non_null:
                    continue
                raise Generic  # a missing non-null variable
            sources[name] = VariableValueSource(signature, value)
            if self.check_depth and input_is_nested_too_deeply(value, signature.type):
                raise Generic
            coerced[name] = coerce(value)
        return VariableValues(sources, coerced)


def _depth(type_: GraphQLInputType, depths: dict[GraphQLInputObjectType, int]) -> int:
    """The deepest `input_is_nested_too_deeply` could count for a value of this (non-recursive)
    type: one a list or input object level."""
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(type_, GraphQLList):
        return 1 + _depth(type_.of_type, depths)
    if isinstance(type_, GraphQLInputObjectType):
        if type_ not in depths:
            depths[type_] = 1 + max(
                (_depth(field.type, depths) for field in type_.fields.values()), default=0
            )
        return depths[type_]
    return 0


_NOT_COMPILED = object()


class _Cache:
    """Compiled operations of one schema by (operation text, operation name), least recent out."""

    def __init__(self) -> None:
        self.entries: OrderedDict[tuple[str, str | None], Any] = OrderedDict()

    def get(
        self, schema: GraphQLSchema, key: tuple[str, str | None], operation: OperationDefinitionNode
    ) -> Any:
        entry = self.entries.get(key)
        if entry is None:
            try:
                entry = _Operation(schema, operation)
            except Exception:  # a type it cannot compile: graphql-core coerces these
                entry = _NOT_COMPILED
            self.entries[key] = entry
            if len(self.entries) > CACHE_SIZE:
                self.entries.popitem(last=False)
        else:
            self.entries.move_to_end(key)
        return entry


_caches: "WeakKeyDictionary[GraphQLSchema, _Cache]" = WeakKeyDictionary()


def compiled_variable_values(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    operation_name: str | None,
    inputs: dict[str, Any],
    hide_suggestions: bool = False,
) -> VariableValues | None:
    """What `get_variable_values` would return for valid input; None: ask graphql-core."""
    if document.loc is None:
        return None
    cache = _caches.get(schema)
    if cache is None:
        cache = _caches[schema] = _Cache()
    try:
        compiled = cache.get(schema, (document.loc.source.body, operation_name), operation)
        if compiled is _NOT_COMPILED:
            return None
        return compiled.coerce(schema, operation, inputs, hide_suggestions)
    except Exception:  # Generic, or anything unforeseen: graphql-core's answer
        return None


# ── The execution class ──────────────────────────────────────────────────────


class CompiledVariables(StrawberryGraphQLCoreExecutionContext):
    """strawberry's execution class, its variables coerced by the compiled path when it can."""

    @classmethod
    def build(
        cls,
        schema: GraphQLSchema,
        document: DocumentNode,
        root_value: Any = None,
        context_value: Any = None,
        raw_variable_values: dict[str, Any] | None = None,
        operation_name: str | None = None,
        field_resolver: Any = None,
        type_resolver: Any = None,
        subscribe_field_resolver: Any = None,
        max_coercion_errors: int = 50,
        enable_early_execution: bool = False,
        middleware: Any = None,
        is_awaitable: Any = None,
        is_async_iterable: Any = None,
        hide_suggestions: bool = False,
        abort_signal: Any = None,
        hooks: Any = None,
        **custom_args: Any,
    ) -> Any:
        operation, fragment_definitions = _parts(document, operation_name)
        variable_values = None
        if operation is not None and isinstance(middleware, MiddlewareManager | None):
            variable_values = compiled_variable_values(
                schema, document, operation, operation_name, raw_variable_values or {}, hide_suggestions
            )
        if variable_values is None:
            return super().build(
                schema,
                document,
                root_value,
                context_value,
                raw_variable_values,
                operation_name,
                field_resolver,
                type_resolver,
                subscribe_field_resolver,
                max_coercion_errors,
                enable_early_execution,
                middleware,
                is_awaitable,
                is_async_iterable,
                hide_suggestions=hide_suggestions,
                abort_signal=abort_signal,
                hooks=hooks,
                **custom_args,
            )
        # What Executor.build does once the variables are coerced (graphql-core 3.3.2).
        assert_valid_schema(schema)
        return cls(
            schema,
            fragment_definitions,
            {name: FragmentDetails(definition, None) for name, definition in fragment_definitions.items()},
            root_value,
            context_value,
            operation,
            variable_values,
            field_resolver or default_field_resolver,
            type_resolver or default_type_resolver,
            subscribe_field_resolver or default_field_resolver,
            enable_early_execution,
            middleware,
            is_awaitable,
            is_async_iterable,
            hide_suggestions=hide_suggestions,
            abort_signal=abort_signal,
            hooks=hooks,
            **custom_args,
        )


def _parts(
    document: DocumentNode, operation_name: str | None
) -> tuple[OperationDefinitionNode | None, dict[str, FragmentDefinitionNode]]:
    """The operation and fragments as Executor.build finds them; no operation where it would
    answer with an error or where a fragment declares variables (graphql-core handles those)."""
    operation = None
    fragments: dict[str, FragmentDefinitionNode] = {}
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            if operation_name is None:
                if operation is not None:
                    return None, {}
                operation = definition
            elif definition.name and definition.name.value == operation_name:
                operation = definition
        elif isinstance(definition, FragmentDefinitionNode):
            if definition.variable_definitions:
                return None, {}
            fragments[definition.name.value] = definition
    return operation, fragments
