"""Spans of LibCST nodes read off CPython's tree of the same statement, without generating code.

`positions.py` finds the innermost statement that holds each node a fact points at. Here the
statement's LibCST tree and CPython's tree are walked side by side, and a node's span is its
CPython counterpart's position, which covers the same code as LibCST's syntactic position
(`PositionProvider`) for the kinds of nodes paired here. Whatever is not paired with certainty
(a comprehension, a parenthesised tuple, an f-string's inside, a parameter list, a statement of
a kind not listed) makes the statement's spans come from generating its code instead:
`aligned_spans` returns None, never a guess.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence

import libcst as cst

from methodlint.diagnostics import Span

# (line, UTF-8 byte offset in it) -> column in code points
Columns = Callable[[int, int], int]


class _Mismatch(Exception):
    """The two trees do not pair up here."""


# Expressions whose LibCST syntactic span is their CPython counterpart's position, and the
# CPython nodes they may pair with (`True`, `None` and `...` are constants there).
_SAME_SPAN: dict[type[cst.CSTNode], tuple[type[ast.AST], ...]] = {
    cst.Name: (ast.Name, ast.Constant),
    cst.Attribute: (ast.Attribute,),
    cst.Call: (ast.Call,),
    cst.SimpleString: (ast.Constant,),
    cst.ConcatenatedString: (ast.Constant, ast.JoinedStr),
    cst.FormattedString: (ast.JoinedStr,),
    cst.Integer: (ast.Constant,),
    cst.Float: (ast.Constant,),
    cst.Imaginary: (ast.Constant,),
    cst.Ellipsis: (ast.Constant,),
    cst.BinaryOperation: (ast.BinOp,),
    cst.BooleanOperation: (ast.BoolOp,),
    cst.UnaryOperation: (ast.UnaryOp,),
    cst.Comparison: (ast.Compare,),
    cst.Subscript: (ast.Subscript,),
    cst.Dict: (ast.Dict,),
    cst.List: (ast.List,),
    cst.Set: (ast.Set,),
    cst.IfExp: (ast.IfExp,),
    cst.Await: (ast.Await,),
    cst.NamedExpr: (ast.NamedExpr,),
    cst.ListComp: (ast.ListComp,),
    cst.SetComp: (ast.SetComp,),
    cst.DictComp: (ast.DictComp,),
}


# Of those, the ones that hold no expression paired further.
_LEAVES = frozenset(
    {
        cst.Name,
        cst.SimpleString,
        cst.ConcatenatedString,
        cst.FormattedString,
        cst.Integer,
        cst.Float,
        cst.Imaginary,
        cst.Ellipsis,
    }
)


class _Pairing:
    def __init__(self, targets: set[int], column: Columns) -> None:
        self.targets = targets
        self.column = column
        self.found: dict[int, Span] = {}

    def span(self, node: ast.AST) -> Span:
        line = node.lineno  # type: ignore[attr-defined]
        end_line = node.end_lineno  # type: ignore[attr-defined]
        if end_line is None:
            raise _Mismatch
        return Span(
            line,
            self.column(line, node.col_offset) + 1,  # type: ignore[attr-defined]
            end_line,
            self.column(end_line, node.end_col_offset) + 1,  # type: ignore[attr-defined]
        )

    def done(self) -> bool:
        return len(self.found) == len(self.targets)

    def want(self, node: cst.CSTNode, span: Callable[[], Span]) -> None:
        key = id(node)
        if key in self.targets:
            self.found[key] = span()

    # -- statements ----------------------------------------------------------------------------

    def statement(self, node: cst.CSTNode, python: ast.stmt) -> None:
        if id(node) in self.targets:
            raise _Mismatch  # a statement's own span: generated (`positions.py`)
        if isinstance(node, cst.Expr) and isinstance(python, ast.Expr):
            self.expression(node.value, python.value)
        elif isinstance(node, cst.Assign) and isinstance(python, ast.Assign):
            if len(node.targets) != len(python.targets):
                raise _Mismatch
            for target, other in zip(node.targets, python.targets, strict=True):
                self.expression(target.target, other)
            self.expression(node.value, python.value)
        elif isinstance(node, cst.AnnAssign) and isinstance(python, ast.AnnAssign):
            self.expression(node.target, python.target)
            self.expression(node.annotation.annotation, python.annotation)
            self.optional(node.value, python.value)
        elif isinstance(node, cst.AugAssign) and isinstance(python, ast.AugAssign):
            self.expression(node.target, python.target)
            self.expression(node.value, python.value)
        elif isinstance(node, cst.Return) and isinstance(python, ast.Return):
            self.optional(node.value, python.value)
        elif isinstance(node, cst.Raise) and isinstance(python, ast.Raise):
            self.optional(node.exc, python.exc)
            self.optional(node.cause.item if node.cause else None, python.cause)
        elif isinstance(node, cst.Assert) and isinstance(python, ast.Assert):
            self.expression(node.test, python.test)
            self.optional(node.msg, python.msg)
        elif (isinstance(node, cst.If) and isinstance(python, ast.If)) or (
            isinstance(node, cst.While) and isinstance(python, ast.While)
        ):
            self.expression(node.test, python.test)
        elif isinstance(node, cst.For) and isinstance(python, (ast.For, ast.AsyncFor)):
            self.expression(node.target, python.target)
            self.expression(node.iter, python.iter)
        elif isinstance(node, cst.With) and isinstance(python, (ast.With, ast.AsyncWith)):
            if len(node.items) != len(python.items):
                raise _Mismatch
            for item, with_item in zip(node.items, python.items, strict=True):
                self.expression(item.item, with_item.context_expr)
                asname = item.asname.name if item.asname else None
                self.optional(asname, with_item.optional_vars)
        elif isinstance(node, (cst.FunctionDef, cst.ClassDef)) and isinstance(
            python, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        ):
            self.decorators(node.decorators, python.decorator_list)
            if id(node.name) in self.targets:
                self.found[id(node.name)] = self.defined_name(node, python)
            if isinstance(node, cst.FunctionDef) and not isinstance(python, ast.ClassDef):
                self.parameters(node.params, python.args)
                self.optional(node.returns.annotation if node.returns else None, python.returns)
        elif not isinstance(
            node,
            (cst.Pass, cst.Break, cst.Continue, cst.Import, cst.ImportFrom, cst.Global),
        ):
            raise _Mismatch

    def defined_name(
        self,
        node: cst.FunctionDef | cst.ClassDef,
        python: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef,
    ) -> Span:
        """The name after `def` (`async def`) or `class`, on the line CPython has them."""
        if isinstance(node, cst.ClassDef):
            words = ["class", node.whitespace_after_class.value]
        else:
            words = ["def", node.whitespace_after_def.value]
            if node.asynchronous is not None:
                words[:0] = ["async", node.asynchronous.whitespace_after.value]
        if any("\\" in word for word in words) or node.name.lpar:
            raise _Mismatch
        column = self.column(python.lineno, python.col_offset) + 1 + len("".join(words))
        return Span(python.lineno, column, python.lineno, column + len(node.name.value))

    def decorators(self, nodes: Sequence[cst.Decorator], python: list[ast.expr]) -> None:
        if len(nodes) != len(python):
            raise _Mismatch
        for node, other in zip(nodes, python, strict=True):
            if self.done():
                return
            if id(node) in self.targets:
                # From its `@`, on the line of the expression after it, to the expression's end.
                gap = node.whitespace_after_at.value
                if node.decorator.lpar or "\\" in gap:
                    raise _Mismatch
                span = self.span(other)
                self.found[id(node)] = Span(
                    span.line, span.column - 1 - len(gap), span.end_line, span.end_column
                )
            self.expression(node.decorator, other)

    def parameters(self, node: cst.Parameters, python: ast.arguments) -> None:
        """Names, annotations and defaults of a function's parameters."""
        pairs: list[tuple[cst.Param, ast.arg]] = []
        for nodes, others in (
            (node.posonly_params, python.posonlyargs),
            (node.params, python.args),
            (node.kwonly_params, python.kwonlyargs),
        ):
            if len(nodes) != len(others):
                raise _Mismatch
            pairs += zip(nodes, others, strict=True)
        for star, other in ((node.star_arg, python.vararg), (node.star_kwarg, python.kwarg)):
            if isinstance(star, cst.Param):
                if other is None:
                    raise _Mismatch
                pairs.append((star, other))
            elif other is not None:
                raise _Mismatch
        positional = [*node.posonly_params, *node.params]
        defaults: dict[int, ast.expr | None] = {}
        with_default = [p for p in positional if p.default is not None]
        if len(with_default) != len(python.defaults):
            raise _Mismatch
        defaults.update(zip(map(id, with_default), python.defaults, strict=True))
        if len(node.kwonly_params) != len(python.kw_defaults):
            raise _Mismatch
        defaults.update(zip(map(id, node.kwonly_params), python.kw_defaults, strict=True))
        for param, arg in pairs:
            if self.done():
                return
            name = param.name
            if name.value != arg.arg or name.lpar:
                raise _Mismatch
            default = defaults.get(id(param))
            if (param.default is None) != (default is None):
                raise _Mismatch
            if id(param) in self.targets or id(name) in self.targets:
                # LibCST's span of a parameter is its star and name, CPython's `arg` the
                # name and annotation: both start at the name when there is no star.
                if id(param) in self.targets and isinstance(param.star, str) and param.star:
                    raise _Mismatch
                column = self.column(arg.lineno, arg.col_offset) + 1
                span = Span(arg.lineno, column, arg.lineno, column + len(name.value))
                for key in (id(param), id(name)):
                    if key in self.targets:
                        self.found[key] = span
            self.optional(param.annotation.annotation if param.annotation else None, arg.annotation)
            self.optional(param.default, default)

    # -- expressions ---------------------------------------------------------------------------

    def optional(self, node: cst.CSTNode | None, python: ast.AST | None) -> None:
        if (node is None) != (python is None):
            raise _Mismatch
        if node is not None and python is not None:
            self.expression(node, python)

    def expression(self, node: cst.CSTNode, python: ast.AST) -> None:
        if self.done():
            return
        cls = type(node)
        kinds = _SAME_SPAN.get(cls)
        if kinds is None:
            self.other(node, python)
            return
        if not isinstance(python, kinds):
            raise _Mismatch
        if id(node) in self.targets:
            self.found[id(node)] = self.span(python)
        # By exact type (the keys of `_SAME_SPAN` have no subclasses): an `isinstance` test
        # of a LibCST class goes through ABCMeta, and a leaf would pass a dozen of them.
        if cls in _LEAVES:
            return
        if cls is cst.Attribute:
            self.expression(node.value, python.value)  # type: ignore[attr-defined]
        elif cls is cst.Call:
            assert isinstance(node, cst.Call) and isinstance(python, ast.Call)
            self.expression(node.func, python.func)
            self.arguments(node.args, python)
        elif cls is cst.BinaryOperation:
            assert isinstance(node, cst.BinaryOperation) and isinstance(python, ast.BinOp)
            self.expression(node.left, python.left)
            self.expression(node.right, python.right)
        elif cls is cst.BooleanOperation:
            assert isinstance(node, cst.BooleanOperation) and isinstance(python, ast.BoolOp)
            if len(python.values) != 2:
                raise _Mismatch  # CPython's `a or b or c` is one node, LibCST's two
            self.expression(node.left, python.values[0])
            self.expression(node.right, python.values[1])
        elif cls is cst.UnaryOperation:
            self.expression(node.expression, python.operand)  # type: ignore[attr-defined]
        elif cls is cst.Comparison:
            assert isinstance(node, cst.Comparison) and isinstance(python, ast.Compare)
            if len(node.comparisons) != len(python.comparators):
                raise _Mismatch
            self.expression(node.left, python.left)
            for target, other in zip(node.comparisons, python.comparators, strict=True):
                self.expression(target.comparator, other)
        elif cls is cst.Subscript:
            assert isinstance(node, cst.Subscript) and isinstance(python, ast.Subscript)
            self.expression(node.value, python.value)
            self.subscript(node.slice, python.slice)
        elif cls is cst.Dict:
            assert isinstance(node, cst.Dict) and isinstance(python, ast.Dict)
            self.dictionary(node, python)
        elif cls is cst.List or cls is cst.Set:
            self.elements(node.elements, python.elts)  # type: ignore[attr-defined]
        elif cls is cst.IfExp:
            assert isinstance(node, cst.IfExp) and isinstance(python, ast.IfExp)
            self.expression(node.test, python.test)
            self.expression(node.body, python.body)
            self.expression(node.orelse, python.orelse)
        elif cls is cst.Await:
            self.expression(node.expression, python.value)  # type: ignore[attr-defined]
        elif cls is cst.NamedExpr:
            assert isinstance(node, cst.NamedExpr) and isinstance(python, ast.NamedExpr)
            self.expression(node.target, python.target)
            self.expression(node.value, python.value)
        elif cls is cst.ListComp or cls is cst.SetComp:
            self.comprehension(node.elt, node.for_in, python)  # type: ignore[attr-defined]
        elif cls is cst.DictComp:
            assert isinstance(node, cst.DictComp) and isinstance(python, ast.DictComp)
            self.comprehension(node.key, node.for_in, python)
            self.expression(node.value, python.value)

    def subscript(self, elements: Sequence[cst.SubscriptElement], python: ast.expr) -> None:
        """What is between a subscript's brackets: one index or slice, or several (a tuple
        in CPython's tree)."""
        others: Sequence[ast.expr] = [python]
        if len(elements) != 1 or isinstance(elements[0].comma, cst.Comma):
            if not isinstance(python, ast.Tuple) or len(python.elts) != len(elements):
                raise _Mismatch
            others = python.elts
        for element, other in zip(elements, others, strict=True):
            if id(element) in self.targets:
                raise _Mismatch
            part = element.slice
            if isinstance(part, cst.Index):
                if part.star is not None:
                    raise _Mismatch
                self.expression(part.value, other)
            elif isinstance(part, cst.Slice) and isinstance(other, ast.Slice):
                self.optional(part.lower, other.lower)
                self.optional(part.upper, other.upper)
                self.optional(part.step, other.step)
            else:
                raise _Mismatch

    def comprehension(self, element: cst.CSTNode, clause: cst.CompFor, python: ast.AST) -> None:
        """A comprehension's element (a dict's key) and its `for` and `if` clauses."""
        self.expression(element, getattr(python, "key", None) or python.elt)  # type: ignore[attr-defined]
        generators: list[ast.comprehension] = python.generators  # type: ignore[attr-defined]
        current: cst.CompFor | None = clause
        for generator in generators:
            if current is None or bool(current.asynchronous) != bool(generator.is_async):
                raise _Mismatch
            self.expression(current.target, generator.target)
            self.expression(current.iter, generator.iter)
            if len(current.ifs) != len(generator.ifs):
                raise _Mismatch
            for test, other in zip(current.ifs, generator.ifs, strict=True):
                self.expression(test.test, other)
            current = current.inner_for_in
        if current is not None:
            raise _Mismatch

    def other(self, node: cst.CSTNode, python: ast.AST) -> None:
        """An expression whose span may differ from CPython's (a parenthesised tuple or
        generator covers its parentheses there): only what it holds is paired."""
        if id(node) in self.targets:
            raise _Mismatch
        if isinstance(node, cst.Tuple) and isinstance(python, ast.Tuple):
            self.elements(node.elements, python.elts)
        elif isinstance(node, cst.StarredElement) and isinstance(python, ast.Starred):
            self.expression(node.value, python.value)
        elif isinstance(node, cst.GeneratorExp) and isinstance(python, ast.GeneratorExp):
            self.comprehension(node.elt, node.for_in, python)
        # Anything else (lambdas, comprehensions, yields) is left unpaired: a node wanted in
        # it is not found, and the statement's spans are then generated.

    def elements(self, nodes: Sequence[cst.BaseElement], python: list[ast.expr]) -> None:
        if len(nodes) != len(python):
            raise _Mismatch
        for node, other in zip(nodes, python, strict=True):
            if isinstance(node, cst.StarredElement):
                if not isinstance(other, ast.Starred):
                    raise _Mismatch
                self.expression(node.value, other.value)
            else:
                self.expression(node.value, other)

    def dictionary(self, node: cst.Dict, python: ast.Dict) -> None:
        if len(node.elements) != len(python.keys):
            raise _Mismatch
        for element, key, value in zip(node.elements, python.keys, python.values, strict=True):
            if isinstance(element, cst.DictElement):
                if key is None:
                    raise _Mismatch
                self.expression(element.key, key)
            elif key is not None:
                raise _Mismatch
            self.expression(element.value, value)

    def arguments(self, args: Sequence[cst.Arg], call: ast.Call) -> None:
        """A call's arguments in source order: CPython keeps the positional ones (`*args`
        among them) apart from the keywords (`**kwargs` among them), each in source order."""
        positional = iter(call.args)
        keywords = iter(call.keywords)
        for arg in args:
            if self.done():
                return
            if arg.keyword is not None or arg.star == "**":
                other: ast.AST | None = next(keywords, None)
                if not isinstance(other, ast.keyword):
                    raise _Mismatch
                if (other.arg is None) != (arg.keyword is None):
                    raise _Mismatch
                self.want(arg, lambda other=other: self.span(other))  # type: ignore[misc]
                self.expression(arg.value, other.value)
            elif arg.star == "*":
                other = next(positional, None)
                if not isinstance(other, ast.Starred):
                    raise _Mismatch
                self.want(arg, lambda other=other: self.span(other))  # type: ignore[misc]
                self.expression(arg.value, other.value)
            else:
                other = next(positional, None)
                if other is None or isinstance(other, ast.Starred):
                    raise _Mismatch
                if id(arg) in self.targets:
                    # The argument's span covers the parentheses around its value, CPython's
                    # position of the value does not; a generator's covers the call's.
                    value = arg.value
                    if getattr(value, "lpar", None) or isinstance(value, cst.GeneratorExp):
                        raise _Mismatch
                    self.found[id(arg)] = self.span(other)
                self.expression(arg.value, other)
        if next(positional, None) is not None or next(keywords, None) is not None:
            raise _Mismatch


def aligned_spans(
    node: cst.BaseStatement, python: Sequence[ast.stmt], targets: set[int], column: Columns
) -> dict[int, Span] | None:
    """The spans of the nodes in `targets`, all inside the statement `node` (a line of small
    statements, or a compound statement's header), read off `python`, CPython's statements
    for it; None unless every one of them was paired."""
    pairing = _Pairing(targets, column)
    try:
        if isinstance(node, cst.SimpleStatementLine):
            if len(node.body) != len(python):
                return None
            for small, other in zip(node.body, python, strict=True):
                pairing.statement(small, other)
                if pairing.done():
                    break
        elif len(python) == 1:
            pairing.statement(node, python[0])
        else:
            return None
    except _Mismatch:
        return None
    return pairing.found if pairing.done() else None
