"""Request limits as validation rules: depth and aliases, each failing with its own code."""

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
)


def _depth(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    seen: frozenset[str],
) -> int:
    if selection_set is None:
        return 0
    deepest = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            # Introspection (GraphiQL's schema query nests ofType eight deep) is not counted.
            if selection.name.value.startswith("__"):
                continue
            deepest = max(deepest, 1 + _depth(selection.selection_set, fragments, seen))
        elif isinstance(selection, InlineFragmentNode):
            deepest = max(deepest, _depth(selection.selection_set, fragments, seen))
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in seen:  # cycles are reported by NoFragmentCycles
                deepest = max(deepest, _depth(fragment.selection_set, fragments, seen | {name}))
    return deepest


def query_depth_rule(max_depth: int) -> type[ValidationRule]:
    class QueryDepthRule(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_args) -> None:
            fragments = {
                definition.name.value: definition
                for definition in self.context.document.definitions
                if isinstance(definition, FragmentDefinitionNode)
            }
            depth = _depth(node.selection_set, fragments, frozenset())
            if depth > max_depth:
                self.report_error(
                    GraphQLError(
                        f"查询嵌套 {depth} 层，超过上限 {max_depth} 层",
                        node,
                        extensions={"code": "QUERY_TOO_DEEP"},
                    )
                )

    return QueryDepthRule


def alias_limit_rule(max_aliases: int) -> type[ValidationRule]:
    class AliasLimitRule(ValidationRule):
        def enter_document(self, node, *_args) -> None:
            count = 0
            stack = list(node.definitions)
            while stack:
                current = stack.pop()
                if isinstance(current, FieldNode) and current.alias is not None:
                    count += 1
                selection_set = getattr(current, "selection_set", None)
                if selection_set is not None:
                    stack.extend(selection_set.selections)
            if count > max_aliases:
                self.report_error(
                    GraphQLError(
                        f"查询使用了 {count} 个别名，超过上限 {max_aliases} 个",
                        node,
                        extensions={"code": "TOO_MANY_ALIASES"},
                    )
                )

    return AliasLimitRule
