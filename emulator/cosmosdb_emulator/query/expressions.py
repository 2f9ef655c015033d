"""Compile scalar-expression parse trees into Python closures.

Every compiled expression is a function ``f(binding) -> value`` where ``binding`` is the value
bound to the FROM alias (a document, or an array element for ``FROM x IN c.items``) and the
result is a JSON value or ``UNDEFINED``. The tree is walked once per query, never per document;
constant sub-expressions are folded at compile time.

Operator semantics follow learn.microsoft.com "Azure Cosmos DB for NoSQL query" pages
"Equality and comparison operators", "Logical operators", "Arithmetic operators", "Ternary and
coalesce operators", "IN", "BETWEEN", "LIKE" and "Constants":

* comparisons involving ``undefined`` or values of different types are ``undefined``;
* AND/OR/NOT use three-valued logic where anything that is not a boolean acts as ``undefined``
  (``false AND undefined`` is false, ``true OR undefined`` is true, ``NOT undefined`` is
  undefined);
* arithmetic and ``||`` on operands of the wrong type are ``undefined``; division or modulo by
  zero is ``undefined``; ``%`` keeps the dividend's sign (IEEE ``fmod``), as in JavaScript;
* integer operands give integer results when the exact result is whole (``6 / 3`` is ``2``).
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lark import Token, Tree

from cosmosdb_emulator.query.errors import QueryError, unsupported
from cosmosdb_emulator.query.functions import AGGREGATES, FUNCTIONS
from cosmosdb_emulator.query.values import (
    UNDEFINED,
    distinct_key,
    equals,
    is_number,
    order_compare,
)

Fn = Callable[[Any], Any]

_NOT_CONST = object()
_LIKE_CACHE_SIZE = 256


@dataclass
class Compiled:
    """A compiled scalar expression.

    Attributes:
        fn: ``fn(binding) -> value``.
        const: The folded value when the expression does not depend on the binding, else a
            private sentinel (test with :attr:`is_const`).
        path: Keys (str) / indexes (int) from the alias when the expression is a plain
            property path such as ``c.a.b[0]``; ``()`` for the alias itself; else ``None``.
        name: Default projection name (``c.a.b`` -> ``"b"``, ``c["x"]`` -> ``"x"``), or None.
    """

    fn: Fn
    const: Any = _NOT_CONST
    path: tuple[str | int, ...] | None = None
    name: str | None = None

    @property
    def is_const(self) -> bool:
        """Whether the value is known at compile time."""
        return self.const is not _NOT_CONST


def constant(value: Any) -> Compiled:
    """Wrap a compile-time value as a :class:`Compiled` expression."""
    return Compiled(fn=lambda _b: value, const=value)


@dataclass
class Scope:
    """What names an expression may refer to.

    Attributes:
        alias: The FROM alias (``c`` in ``FROM c``), or None when the query has no FROM clause.
        parameters: Parameter values by name including the ``@``.
        aggregates: When compiling the SELECT list of an aggregate query, the list that
            aggregate calls are appended to as ``(NAME, argument)``; the expression then
            receives the list of aggregate results instead of a binding.
        in_aggregate: True while compiling an aggregate's argument (nesting is an error).
        clause: Clause name for error messages.
    """

    alias: str | None
    parameters: dict[str, Any]
    aggregates: list[tuple[str, Compiled]] | None = None
    in_aggregate: bool = False
    clause: str = "SELECT"


# --------------------------------------------------------------------------- literals


_ESCAPES = {
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "/": "/",
    "\\": "\\",
    "'": "'",
    '"': '"',
}
_ESCAPE_RE = re.compile(r"\\(u[0-9A-Fa-f]{4}|.)", re.DOTALL)


def decode_string(token: str) -> str:
    """Decode a single- or double-quoted string literal with JSON-style escapes.

    Args:
        token: The literal including its quotes.

    Returns:
        The string value.
    """

    def repl(m: re.Match[str]) -> str:
        esc = m.group(1)
        if esc[0] == "u" and len(esc) == 5:
            return chr(int(esc[1:], 16))
        return _ESCAPES.get(esc, esc)

    return _ESCAPE_RE.sub(repl, token[1:-1])


def decode_number(token: str) -> int | float:
    """Decode a numeric literal: ``int`` when it has no fraction/exponent, else ``float``."""
    if re.fullmatch(r"[0-9]+", token):
        return int(token)
    return float(token)


# --------------------------------------------------------------------------- paths


def path_fn(path: tuple[str | int, ...]) -> Fn:
    """Build a fast accessor for a property path from the alias.

    Args:
        path: Keys (str, object member) and indexes (int, array element).

    Returns:
        ``fn(binding)`` returning the value at the path or ``UNDEFINED``.
    """
    if not path:
        return lambda b: b
    if all(type(k) is str for k in path):
        if len(path) == 1:
            (k1,) = path

            def get1(b: Any) -> Any:
                return b.get(k1, UNDEFINED) if type(b) is dict else UNDEFINED

            return get1
        if len(path) == 2:
            k1, k2 = path

            def get2(b: Any) -> Any:
                if type(b) is dict:
                    v = b.get(k1, UNDEFINED)
                    if type(v) is dict:
                        return v.get(k2, UNDEFINED)
                return UNDEFINED

            return get2

    def get_n(b: Any) -> Any:
        v = b
        for k in path:
            if type(k) is str:
                if type(v) is not dict:
                    return UNDEFINED
                v = v.get(k, UNDEFINED)
            else:
                if type(v) is not list or not 0 <= k < len(v):  # type: ignore[operator]
                    return UNDEFINED
                v = v[k]  # type: ignore[index]
        return v

    return get_n


def _lookup(container: Any, key: Any) -> Any:
    """``container[key]`` with query semantics (wrong types / out of range -> undefined)."""
    tc = type(container)
    tk = type(key)
    if tc is dict and tk is str:
        return container.get(key, UNDEFINED)
    if tc is list:
        if tk is float and key.is_integer():
            key = int(key)
            tk = int
        if tk is int and 0 <= key < len(container):
            return container[key]
    return UNDEFINED


# --------------------------------------------------------------------------- compiler


class ExpressionCompiler:
    """Turns scalar-expression subtrees into :class:`Compiled` closures.

    Args:
        scope: Names and parameters visible to the expression.
    """

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def compile(self, node: Tree | Token) -> Compiled:
        """Compile one expression node.

        Args:
            node: A lark tree or token produced by the grammar in
                :mod:`cosmosdb_emulator.query.grammar`.

        Returns:
            The compiled expression.

        Raises:
            QueryError: Unknown identifier or parameter, unsupported construct, wrong arity.
        """
        if isinstance(node, Token):
            raise QueryError(f"Unexpected token {node!s} in {self.scope.clause} clause")
        handler = getattr(self, f"_c_{node.data}", None)
        if handler is None:
            raise unsupported(str(node.data))
        result: Compiled = handler(*node.children)
        return result

    # ----------------------------------------------------------------- leaves

    def _c_var(self, token: Token) -> Compiled:
        name = str(token)
        if self.scope.aggregates is not None and not self.scope.in_aggregate:
            raise QueryError(
                f"Property reference '{name}' in an aggregate query must be inside an "
                "aggregate function (GROUP BY is not supported)"
            )
        if name != self.scope.alias:
            raise QueryError(f"Identifier '{name}' could not be resolved")
        return Compiled(fn=lambda b: b, path=(), name=name)

    def _c_param(self, token: Token) -> Compiled:
        name = str(token)
        if name not in self.scope.parameters:
            raise QueryError(f"Parameter {name} is referenced but not defined in parameters")
        return constant(self.scope.parameters[name])

    def _c_number(self, token: Token) -> Compiled:
        return constant(decode_number(str(token)))

    def _c_string(self, token: Token) -> Compiled:
        return constant(decode_string(str(token)))

    def _c_true(self, _t: Token) -> Compiled:
        return constant(True)

    def _c_false(self, _t: Token) -> Compiled:
        return constant(False)

    def _c_null(self, _t: Token) -> Compiled:
        return constant(None)

    def _c_undefined(self, _t: Token) -> Compiled:
        return constant(UNDEFINED)

    # ----------------------------------------------------------------- paths

    def _c_member(self, base_node: Tree, key: Token) -> Compiled:
        return self._access(self.compile(base_node), str(key))

    def _c_index(self, base_node: Tree, index_node: Tree) -> Compiled:
        base = self.compile(base_node)
        index = self.compile(index_node)
        if index.is_const:
            key = index.const
            if type(key) is float and key.is_integer():
                key = int(key)
            if type(key) in (str, int):
                return self._access(base, key)
            return constant(UNDEFINED)
        bf, kf = base.fn, index.fn
        return Compiled(fn=lambda b: _lookup(bf(b), kf(b)))

    def _access(self, base: Compiled, key: str | int) -> Compiled:
        name = key if type(key) is str else None
        if base.is_const:
            return constant(_lookup(base.const, key))
        if base.path is not None:
            path = (*base.path, key)
            return Compiled(fn=path_fn(path), path=path, name=name)
        bf = base.fn
        return Compiled(fn=lambda b: _lookup(bf(b), key), name=name)

    # ----------------------------------------------------------------- literals

    def _c_object_lit(self, *props: Tree | None) -> Compiled:
        items: list[tuple[str, Compiled]] = []
        for prop in props:
            if prop is None:
                continue
            key_tok, value_node = prop.children
            assert isinstance(key_tok, Token)
            key = decode_string(str(key_tok)) if key_tok.type == "STRING" else str(key_tok)
            items.append((key, self.compile(value_node)))
        pairs = [(k, c.fn) for k, c in items]

        def build(b: Any) -> Any:
            out = {}
            for k, f in pairs:
                v = f(b)
                if v is not UNDEFINED:
                    out[k] = v
            return out

        if all(c.is_const for _, c in items):
            return constant(build(None))
        return Compiled(fn=build)

    def _c_array_lit(self, expr_list: Tree | None) -> Compiled:
        elems = [self.compile(n) for n in expr_list.children] if expr_list else []
        fns = [c.fn for c in elems]

        def build(b: Any) -> Any:
            return [v for v in (f(b) for f in fns) if v is not UNDEFINED]

        if all(c.is_const for c in elems):
            return constant(build(None))
        return Compiled(fn=build)

    # ----------------------------------------------------------------- operators

    def _fold(self, fn: Fn, *parts: Compiled) -> Compiled:
        if all(p.is_const for p in parts):
            return constant(fn(None))
        return Compiled(fn=fn)

    def _c_compare(self, left_node: Tree, op_tok: Token, right_node: Tree) -> Compiled:
        left, right = self.compile(left_node), self.compile(right_node)
        op = "!=" if str(op_tok) == "<>" else str(op_tok)
        fast = _fast_compare(left, op, right)
        if fast is not None:
            return Compiled(fn=fast)
        lf, rf = left.fn, right.fn
        if op in ("=", "!="):
            negate = op == "!="

            def eq(b: Any) -> Any:
                r = equals(lf(b), rf(b))
                if r is UNDEFINED or not negate:
                    return r
                return not r

            return self._fold(eq, left, right)
        test = _ORDER_TESTS[op]

        def cmp(b: Any) -> Any:
            c = order_compare(lf(b), rf(b))
            return UNDEFINED if c is UNDEFINED else test(c)

        return self._fold(cmp, left, right)

    def _c_not_(self, _kw: Token, operand: Tree) -> Compiled:
        f = self.compile(operand)
        of = f.fn

        def not_(b: Any) -> Any:
            v = of(b)
            if v is True:
                return False
            if v is False:
                return True
            return UNDEFINED

        return self._fold(not_, f)

    def _c_and_(self, left_node: Tree, _kw: Token, right_node: Tree) -> Compiled:
        left, right = self.compile(left_node), self.compile(right_node)
        lf, rf = left.fn, right.fn

        def and_(b: Any) -> Any:
            a = lf(b)
            if a is False:
                return False
            c = rf(b)
            if c is False:
                return False
            if a is True and c is True:
                return True
            return UNDEFINED

        return self._fold(and_, left, right)

    def _c_or_(self, left_node: Tree, _kw: Token, right_node: Tree) -> Compiled:
        left, right = self.compile(left_node), self.compile(right_node)
        lf, rf = left.fn, right.fn

        def or_(b: Any) -> Any:
            a = lf(b)
            if a is True:
                return True
            c = rf(b)
            if c is True:
                return True
            if a is False and c is False:
                return False
            return UNDEFINED

        return self._fold(or_, left, right)

    def _c_in_(self, *children: Any) -> Compiled:
        # children: value, [NOT], IN, expr_list
        value = self.compile(children[0])
        negate = any(isinstance(c, Token) and c.type == "NOT" for c in children)
        items = [self.compile(n) for n in children[-1].children]
        vf = value.fn
        if all(i.is_const for i in items):
            keys = {distinct_key(i.const) for i in items if i.const is not UNDEFINED}

            def in_const(b: Any) -> Any:
                v = vf(b)
                if v is UNDEFINED:
                    return UNDEFINED
                return (distinct_key(v) in keys) != negate

            return self._fold(in_const, value)
        fns = [i.fn for i in items]

        def in_dynamic(b: Any) -> Any:
            v = vf(b)
            if v is UNDEFINED:
                return UNDEFINED
            return any(equals(v, f(b)) is True for f in fns) != negate

        return Compiled(fn=in_dynamic)

    def _c_between(self, *children: Any) -> Compiled:
        exprs = [self.compile(c) for c in children if isinstance(c, Tree)]
        negate = any(isinstance(c, Token) and c.type == "NOT" for c in children)
        value, low, high = exprs
        vf, lf, hf = value.fn, low.fn, high.fn

        def between(b: Any) -> Any:
            v = vf(b)
            c1 = order_compare(v, lf(b))
            c2 = order_compare(v, hf(b))
            ge = UNDEFINED if c1 is UNDEFINED else c1 >= 0
            le = UNDEFINED if c2 is UNDEFINED else c2 <= 0
            if ge is False or le is False:
                result: Any = False
            elif ge is True and le is True:
                result = True
            else:
                return UNDEFINED
            return (not result) if negate else result

        return self._fold(between, value, low, high)

    def _c_like(self, *children: Any) -> Compiled:
        negate = any(isinstance(c, Token) and c.type == "NOT" for c in children)
        exprs = [c for c in children if isinstance(c, Tree)]
        escape_toks = [c for c in children if isinstance(c, Token) and c.type == "STRING"]
        escape = decode_string(str(escape_toks[-1])) if escape_toks else None
        value, pattern = self.compile(exprs[0]), self.compile(exprs[1])
        vf, pf = value.fn, pattern.fn
        cache: dict[str, re.Pattern[str]] = {}

        def like(b: Any) -> Any:
            v, p = vf(b), pf(b)
            if type(v) is not str or type(p) is not str:
                return UNDEFINED
            rx = cache.get(p)
            if rx is None:
                if len(cache) >= _LIKE_CACHE_SIZE:
                    cache.clear()
                rx = cache[p] = _like_regex(p, escape)
            return (rx.fullmatch(v) is not None) != negate

        return self._fold(like, value, pattern)

    def _c_str_concat(self, left_node: Tree, right_node: Tree) -> Compiled:
        left, right = self.compile(left_node), self.compile(right_node)
        lf, rf = left.fn, right.fn

        def concat(b: Any) -> Any:
            a, c = lf(b), rf(b)
            if type(a) is str and type(c) is str:
                return a + c
            return UNDEFINED

        return self._fold(concat, left, right)

    def _c_arith(self, left_node: Tree, op_tok: Token, right_node: Tree) -> Compiled:
        left, right = self.compile(left_node), self.compile(right_node)
        lf, rf = left.fn, right.fn
        op = _ARITH[str(op_tok)]

        def arith(b: Any) -> Any:
            a, c = lf(b), rf(b)
            ta, tc = type(a), type(c)
            if (ta is int or ta is float) and (tc is int or tc is float):
                return op(a, c)
            return UNDEFINED

        return self._fold(arith, left, right)

    def _c_unary(self, op_tok: Token, operand: Tree) -> Compiled:
        inner = self.compile(operand)
        f = inner.fn
        sign = -1 if str(op_tok) == "-" else 1

        def unary(b: Any) -> Any:
            v = f(b)
            return sign * v if is_number(v) else UNDEFINED

        return self._fold(unary, inner)

    def _c_bitwise(self, op_tok: Token, _operand: Tree) -> Compiled:
        raise unsupported(f"bitwise operator {op_tok!s}")

    def _c_conditional(self, cond_node: Tree, yes_node: Tree, no_node: Tree) -> Compiled:
        cond, yes, no = (self.compile(n) for n in (cond_node, yes_node, no_node))
        cf, yf, nf = cond.fn, yes.fn, no.fn
        return self._fold(lambda b: yf(b) if cf(b) is True else nf(b), cond, yes, no)

    def _c_coalesce(self, left_node: Tree, right_node: Tree) -> Compiled:
        left, right = self.compile(left_node), self.compile(right_node)
        lf, rf = left.fn, right.fn

        def coalesce(b: Any) -> Any:
            v = lf(b)
            return rf(b) if v is UNDEFINED else v

        return self._fold(coalesce, left, right)

    # ----------------------------------------------------------------- calls

    def _c_func_call(self, name_tok: Token, expr_list: Tree | None) -> Compiled:
        name = str(name_tok).upper()
        arg_nodes = list(expr_list.children) if expr_list else []
        if name in AGGREGATES:
            return self._aggregate(name, arg_nodes)
        func = FUNCTIONS.get(name)
        if func is None:
            raise unsupported(f"function {name}")
        if not func.min_args <= len(arg_nodes) <= func.max_args:
            expected = (
                str(func.min_args)
                if func.min_args == func.max_args
                else f"{func.min_args} to {func.max_args}"
            )
            raise QueryError(f"Function {name} takes {expected} argument(s), got {len(arg_nodes)}")
        args = [self.compile(n) for n in arg_nodes]
        fns = [a.fn for a in args]
        impl = func.impl
        if func.undefined_ok:
            if len(fns) == 1:
                (f0,) = fns

                def call1(b: Any) -> Any:
                    return impl(f0(b))

                call: Fn = call1
            else:

                def call(b: Any) -> Any:
                    return impl(*[f(b) for f in fns])

        else:

            def call(b: Any) -> Any:
                values = [f(b) for f in fns]
                if UNDEFINED in values:
                    return UNDEFINED
                return impl(*values)

        return self._fold(call, *args)

    def _aggregate(self, name: str, arg_nodes: list[Tree]) -> Compiled:
        aggs = self.scope.aggregates
        if aggs is None:
            raise QueryError(f"Aggregate function {name} is only supported in the SELECT clause")
        if self.scope.in_aggregate:
            raise QueryError(f"Aggregate function {name} cannot be nested in another aggregate")
        if len(arg_nodes) != 1:
            raise QueryError(f"Function {name} takes 1 argument(s), got {len(arg_nodes)}")
        arg_scope = Scope(
            alias=self.scope.alias,
            parameters=self.scope.parameters,
            aggregates=aggs,
            in_aggregate=True,
            clause=f"{name} argument",
        )
        arg = ExpressionCompiler(arg_scope).compile(arg_nodes[0])
        slot = len(aggs)
        aggs.append((name, arg))
        return Compiled(fn=lambda results: results[slot])

    def _c_method_call(self, base: Tree, name_tok: Token, _args: Tree | None) -> Compiled:
        if isinstance(base, Tree) and base.data == "var" and str(base.children[0]).lower() == "udf":
            raise unsupported(f"user-defined function udf.{name_tok!s}")
        raise QueryError(f"Unsupported construct: method call .{name_tok!s}(...)")

    def _c_subquery(self, _query: Tree) -> Compiled:
        raise unsupported("subquery")

    def _c_exists(self, _kw: Token, _query: Tree) -> Compiled:
        raise unsupported("EXISTS subquery")

    def _c_array_subquery(self, _kw: Token, _query: Tree) -> Compiled:
        raise unsupported("ARRAY subquery")


# --------------------------------------------------------------------------- helpers


_ORDER_TESTS: dict[str, Callable[[int], bool]] = {
    "<": lambda c: c < 0,
    "<=": lambda c: c <= 0,
    ">": lambda c: c > 0,
    ">=": lambda c: c >= 0,
}

_PY_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_MIRROR = {"=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _fast_compare(left: Compiled, op: str, right: Compiled) -> Fn | None:
    """Specialised closure for ``expr OP constant`` with a scalar constant (the hot path).

    Returns None when no specialisation applies (the generic path handles it).
    """
    if left.is_const and not right.is_const:
        left, right, op = right, left, _MIRROR[op]
    if left.is_const or not right.is_const:
        return None
    c = right.const
    f = left.fn
    pyop = _PY_OPS[op]
    tc = type(c)
    if tc is int or tc is float:

        def num_cmp(b: Any) -> Any:
            v = f(b)
            t = type(v)
            if t is int or t is float:
                return pyop(v, c)
            return UNDEFINED

        return num_cmp
    if tc is str or tc is bool:

        def typed_cmp(b: Any) -> Any:
            v = f(b)
            if type(v) is tc:
                return pyop(v, c)
            return UNDEFINED

        return typed_cmp
    return None


def _int_div(a: Any, b: Any) -> Any:
    if b == 0:
        return UNDEFINED
    if type(a) is int and type(b) is int and a % b == 0:
        return a // b
    return a / b


def _mod(a: Any, b: Any) -> Any:
    if b == 0:
        return UNDEFINED
    if type(a) is int and type(b) is int:
        r = abs(a) % abs(b)
        return -r if a < 0 else r
    return math.fmod(a, b)


_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": _int_div,
    "%": _mod,
}


def _like_regex(pattern: str, escape: str | None) -> re.Pattern[str]:
    """Translate a LIKE pattern (``%`` any run, ``_`` one char, optional ESCAPE char)."""
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if escape and ch == escape and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out), re.DOTALL)
