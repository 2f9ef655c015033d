"""Compile a parsed query into a reusable :class:`CompiledQuery` and execute it.

Logical evaluation order follows the service (learn.microsoft.com "Azure Cosmos DB for NoSQL
query" - "SELECT", "FROM", "WHERE", "ORDER BY", "OFFSET LIMIT", "TOP", "DISTINCT" pages):
FROM (expand the source) -> WHERE (keep rows whose filter is exactly ``true``) -> aggregates
or ORDER BY -> SELECT projection -> DISTINCT -> OFFSET/LIMIT -> TOP.

Results are deterministic for a given input order: sorting is stable and ties keep the order in
which documents were supplied, so a server that pages the full result list gets the same pages
on every re-issue of the query.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

from lark import Token, Tree

from cosmosdb_emulator.query.aggregates import new_accumulator
from cosmosdb_emulator.query.errors import QueryError, unsupported
from cosmosdb_emulator.query.expressions import Compiled, ExpressionCompiler, Fn, Scope
from cosmosdb_emulator.query.values import UNDEFINED, distinct_key, rank, sort_key

_SCALAR_RANKS = range(1, 5)  # null, boolean, number, string


def _children(tree: Tree, data: str) -> Tree | None:
    for child in tree.children:
        if isinstance(child, Tree) and child.data == data:
            return child
    return None


class CompiledQuery:
    """A query compiled once into closures; safe to share between threads and reuse.

    Attributes:
        query: The query text.
        alias: The FROM alias the expressions are bound to (None without FROM).
        source: ``"container"`` (``FROM c``), ``"in"`` (``FROM x IN c.arr``), ``"path"``
            (``FROM c.sub``) or ``"none"`` (no FROM clause; documents are ignored).
        is_select_star: ``SELECT *`` - rows are the stored documents themselves (not copies;
            callers must not mutate them while results are in use).
        is_value: ``SELECT VALUE expr``.
        has_where: Whether a WHERE clause is present.
        has_aggregates: COUNT/SUM/AVG/MIN/MAX in the SELECT list (one result row at most).
        has_order_by: Whether ORDER BY is present.
        has_distinct: Whether DISTINCT is present.
        order_by: ``((path or None, descending), ...)`` per ORDER BY item; ``path`` is the
            property path from the alias, e.g. ``("_ts",)``.
        top: TOP n, or None.
        offset: OFFSET n, or None.
        limit: LIMIT m, or None.
        streamable: True when results can be produced lazily, document by document (no
            ORDER BY, aggregates or DISTINCT); see :meth:`iter_results`.
        equality_filters: ``{path: value}`` for top-level ``AND`` conjuncts of the form
            ``alias.path = <scalar constant>`` in WHERE, e.g. ``{("pk",): "p1"}``; a server
            may use them to narrow the documents it feeds in (they are still re-checked).
        ts_floor: The number ``n`` of a top-level ``AND`` conjunct ``alias._ts >= n`` (or
            ``> n``) in WHERE, else None: no document with a smaller ``_ts`` passes, so a scan
            in ``_ts`` order may start there (rows are still re-checked).
        where_is_ts_floor: The whole WHERE is ``alias._ts >= n``: every document from the
            floor on passes.
    """

    def __init__(self, query: str, tree: Tree, parameters: dict[str, Any]) -> None:
        self.query = query
        self._params = parameters
        select = _children(tree, "select_clause")
        assert select is not None
        for clause, name in (("group_by_clause", "GROUP BY"), ("order_by_rank", "ORDER BY RANK")):
            if _children(tree, clause) is not None:
                raise unsupported(name)
        self._compile_from(_children(tree, "from_clause"))
        self._scope = Scope(alias=self.alias, parameters=parameters, clause="WHERE")
        where = _children(tree, "where_clause")
        self.has_where = where is not None
        self._where: Fn | None = None
        self.equality_filters: dict[tuple[str | int, ...], Any] = {}
        self.ts_floor: int | float | None = None
        self.where_is_ts_floor = False
        if where is not None:
            cond = ExpressionCompiler(self._scope).compile(where.children[1])
            if cond.is_const:
                self._where = (lambda _b: True) if cond.const is True else (lambda _b: False)
            else:
                self._where = cond.fn
            self._collect_equalities(where.children[1])
            self._collect_ts_floor(where.children[1], top=True)
        self._compile_select(select)
        self._compile_order_by(_children(tree, "order_by_clause"))
        self.offset: int | None = None
        self.limit: int | None = None
        offset_limit = _children(tree, "offset_limit_clause")
        if offset_limit is not None:
            self.offset = self._count_value(offset_limit.children[1], "OFFSET")
            self.limit = self._count_value(offset_limit.children[3], "LIMIT")
        self.streamable = not (self.has_order_by or self.has_aggregates or self.has_distinct)
        # An aggregate without GROUP BY yields one row, so an ORDER BY next to it orders
        # nothing: the service accepts it (``SELECT VALUE SUM(c.x) FROM c ORDER BY c.pk``), and
        # so does the emulator (the ORDER BY items are still compiled, so still checked).

    # ------------------------------------------------------------------ compile steps

    def _compile_from(self, from_clause: Tree | None) -> None:
        self._expand: Callable[[Any], Iterable[Any]] | None = None
        self._source_fn: Fn | None = None
        if from_clause is None:
            self.alias = None
            self.source = "none"
            return
        if _children(from_clause, "join_clause") is not None:
            raise unsupported("JOIN")
        src = from_clause.children[1]
        assert isinstance(src, Tree)
        if src.data == "from_in":
            alias_tok, _in, path_node = src.children
            self.alias = str(alias_tok)
            self.source = "in"
            self._source_fn = self._root_path(path_node, "FROM ... IN")
            return
        path_node = src.children[0]
        alias_tok = src.children[-1] if len(src.children) > 1 else None
        if isinstance(path_node, Tree) and path_node.data == "var":
            self.alias = str(alias_tok or path_node.children[0])
            self.source = "container"
            return
        self.source = "path"
        self._source_fn = self._root_path(path_node, "FROM")
        if alias_tok is not None:
            self.alias = str(alias_tok)
        elif isinstance(path_node, Tree) and path_node.data == "member":
            self.alias = str(path_node.children[1])
        else:
            raise QueryError("A FROM expression with an index needs an alias (FROM c.a[0] AS x)")

    def _root_path(self, path_node: Tree, where: str) -> Fn:
        root = path_node
        while isinstance(root, Tree) and root.data in ("member", "index"):
            root = root.children[0]
        if not (isinstance(root, Tree) and root.data == "var"):
            raise QueryError(f"Invalid source expression in {where} clause")
        scope = Scope(alias=str(root.children[0]), parameters=self._params, clause="FROM")
        return ExpressionCompiler(scope).compile(path_node).fn

    def _compile_select(self, select: Tree) -> None:
        self.has_distinct = _children(select, "distinct") is not None
        top = _children(select, "top")
        self.top = self._count_value(top.children[1], "TOP") if top is not None else None
        selection = select.children[-1]
        assert isinstance(selection, Tree)
        self.is_select_star = selection.data == "select_star"
        self.is_value = selection.data == "select_value"
        self._aggregates: list[tuple[str, Compiled]] = []
        self.has_aggregates = _contains_aggregate(selection)
        scope = Scope(
            alias=self.alias,
            parameters=self._params,
            aggregates=self._aggregates if self.has_aggregates else None,
            clause="SELECT",
        )
        compiler = ExpressionCompiler(scope)
        self._value_fn: Fn | None = None
        self._items: list[tuple[str, Fn]] | None = None
        if self.is_select_star:
            if self.alias is None:
                raise QueryError("'SELECT *' is not valid if the FROM clause is omitted")
            return
        if self.is_value:
            self._value_fn = compiler.compile(selection.children[1]).fn
            return
        items: list[tuple[str, Fn]] = []
        counter = 0
        for item in selection.children:
            assert isinstance(item, Tree)
            compiled = compiler.compile(item.children[0])
            last = item.children[-1]
            if len(item.children) > 1 and isinstance(last, Token) and last.type == "IDENT":
                name = str(last)
            elif compiled.name is not None:
                name = compiled.name
            else:
                counter += 1
                name = f"${counter}"
            if any(name == existing for existing, _ in items):
                raise QueryError(f"Duplicate property name '{name}' in the SELECT list")
            items.append((name, compiled.fn))
        self._items = items

    @property
    def item_names(self) -> list[str]:
        """Property names of a ``SELECT`` list's items in order (empty for ``*`` / ``VALUE``)."""
        return [name for name, _ in self._items or []]

    @property
    def aggregate_names(self) -> list[str]:
        """Upper-case names of the aggregates in the SELECT clause, in order."""
        return [name for name, _ in self._aggregates]

    def _compile_order_by(self, order_by: Tree | None) -> None:
        self.has_order_by = order_by is not None
        self._order: list[tuple[Fn, bool]] = []
        described: list[tuple[tuple[str | int, ...] | None, bool]] = []
        if order_by is None:
            self.order_by: tuple[tuple[tuple[str | int, ...] | None, bool], ...] = ()
            return
        scope = Scope(alias=self.alias, parameters=self._params, clause="ORDER BY")
        compiler = ExpressionCompiler(scope)
        for item in order_by.children[2:]:
            assert isinstance(item, Tree)
            direction = item.children[1] if len(item.children) > 1 else None
            descending = False
            if isinstance(direction, Tree):
                tok = direction.children[0]
                descending = isinstance(tok, Token) and tok.type == "DESC"
            compiled = compiler.compile(item.children[0])
            self._order.append((compiled.fn, descending))
            described.append((compiled.path, descending))
        self.order_by = tuple(described)

    def _count_value(self, node: Any, clause: str) -> int:
        tok = node.children[0]
        if node.data == "param_count":
            name = str(tok)
            if name not in self._params:
                raise QueryError(f"Parameter {name} is referenced but not defined in parameters")
            value = self._params[name]
        else:
            value = int(str(tok))
        if type(value) is float and value.is_integer():
            value = int(value)
        if type(value) is not int or value < 0:
            raise QueryError(f"The {clause} value must be a non-negative integer, got {value!r}")
        return value

    def _collect_equalities(self, node: Any) -> None:
        if isinstance(node, Tree) and node.data == "and_":
            self._collect_equalities(node.children[0])
            self._collect_equalities(node.children[2])
            return
        if not (isinstance(node, Tree) and node.data == "compare" and str(node.children[1]) == "="):
            return
        compiler = ExpressionCompiler(self._scope)
        left, right = compiler.compile(node.children[0]), compiler.compile(node.children[2])
        if left.is_const:
            left, right = right, left
        if left.path and right.is_const and rank(right.const) in _SCALAR_RANKS:
            self.equality_filters[left.path] = right.const

    def _collect_ts_floor(self, node: Any, *, top: bool = False) -> None:
        if isinstance(node, Tree) and node.data == "and_":
            self._collect_ts_floor(node.children[0])
            self._collect_ts_floor(node.children[2])
            return
        if not (isinstance(node, Tree) and node.data == "compare"):
            return
        op = str(node.children[1])
        if op not in (">=", ">"):
            return
        compiler = ExpressionCompiler(self._scope)
        left, right = compiler.compile(node.children[0]), compiler.compile(node.children[2])
        if left.path != ("_ts",) or not right.is_const or type(right.const) not in (int, float):
            return
        if self.ts_floor is None or right.const > self.ts_floor:
            self.ts_floor = right.const
        self.where_is_ts_floor = top and op == ">="

    # ------------------------------------------------------------------ execution

    def filter(self, document: dict[str, Any]) -> bool:
        """Return whether one stored document passes FROM + WHERE (contributes a row).

        Args:
            document: A stored document (dict, system properties included).

        Returns:
            True when the WHERE filter is exactly ``true`` for the document (for
            ``FROM x IN c.arr``: for at least one element).
        """
        pred = self._where
        return any(pred is None or pred(row) is True for row in self._rows((document,)))

    def _rows(self, documents: Iterable[Any]) -> Iterable[Any]:
        if self.source == "container":
            return documents
        if self.source == "none":
            return (UNDEFINED,)
        fn = self._source_fn
        assert fn is not None
        if self.source == "path":
            return (v for v in map(fn, documents) if v is not UNDEFINED)
        return (e for v in map(fn, documents) if type(v) is list for e in v)

    def _window(self) -> tuple[int, int | None]:
        skip = self.offset or 0
        take = self.limit
        if self.top is not None:
            take = self.top if take is None else min(take, self.top)
        return skip, take

    def execute(self, documents: Iterable[dict[str, Any]]) -> list[Any]:
        """Run the query over documents and return every result row.

        Args:
            documents: Stored documents in a stable order (e.g. by ``_rid``/insertion); ties
                in ORDER BY keep this order.

        Returns:
            The full result list (JSON values). ``SELECT *`` rows are the input dicts
            themselves; other rows are new objects.
        """
        if self.has_aggregates:
            return self._execute_aggregate(documents)
        skip, take = self._window()
        if take == 0:
            return []
        pred = self._where
        rows = self._rows(documents)
        if self.has_order_by:
            candidates = [r for r in rows if pred(r) is True] if pred else list(rows)
            rows = self._sort(
                candidates, None if self.has_distinct or take is None else skip + take
            )
        elif pred is not None:
            rows = (r for r in rows if pred(r) is True)
        out = self._project(rows)
        if self.has_distinct:
            out = _dedupe(out)
        if skip or take is not None:
            out = islice(out, skip, None if take is None else skip + take)
        # Never hand back the caller's own list object.
        return out if type(out) is list and out is not documents else list(out)

    def iter_results(self, documents: Iterable[dict[str, Any]]) -> Iterator[Any]:
        """Yield result rows lazily (only sensible when :attr:`streamable` is True).

        Args:
            documents: Stored documents, consumed only as far as needed (TOP/LIMIT stop early).

        Yields:
            Result rows, the same as :meth:`execute` would return.
        """
        if not self.streamable:
            yield from self.execute(documents)
            return
        skip, take = self._window()
        if take == 0:
            return
        pred = self._where
        rows = self._rows(documents)
        if pred is not None:
            rows = (r for r in rows if pred(r) is True)
        out = self._project(rows)
        if skip or take is not None:
            out = islice(out, skip, None if take is None else skip + take)
        yield from out

    def _project(self, rows: Iterable[Any]) -> Iterable[Any]:
        if self.is_select_star:
            return rows
        if self._value_fn is not None:
            f = self._value_fn
            return (v for v in map(f, rows) if v is not UNDEFINED)
        items = self._items
        assert items is not None
        if len(items) == 1:
            ((name, f),) = items

            def one(row: Any) -> dict[str, Any]:
                v = f(row)
                return {} if v is UNDEFINED else {name: v}

            return map(one, rows)

        def build(row: Any) -> dict[str, Any]:
            out = {}
            for name, fn in items:
                v = fn(row)
                if v is not UNDEFINED:
                    out[name] = v
            return out

        return map(build, rows)

    def _sort(self, rows: list[Any], first_n: int | None) -> list[Any]:
        order = self._order
        if len(order) == 1:
            fn, descending = order[0]
            values = [fn(r) for r in rows]
            if first_n is not None and first_n < len(rows) // 4:
                keys = [sort_key(v) for v in values]
                pick = heapq.nlargest if descending else heapq.nsmallest
                idx = pick(first_n, range(len(rows)), key=keys.__getitem__)
                return [rows[i] for i in idx]
            if all(type(v) is int or type(v) is float for v in values):
                keys_any: list[Any] = values
            else:
                keys_any = [sort_key(v) for v in values]
            idx = sorted(range(len(rows)), key=keys_any.__getitem__, reverse=descending)
            return [rows[i] for i in idx]
        columns = [([sort_key(fn(r)) for r in rows], desc) for fn, desc in order]
        idx = list(range(len(rows)))
        for keys, desc in reversed(columns):
            idx.sort(key=keys.__getitem__, reverse=desc)
        return [rows[i] for i in idx]

    def _execute_aggregate(self, documents: Iterable[dict[str, Any]]) -> list[Any]:
        pred = self._where
        rows = self._rows(documents)
        if pred is not None:
            rows = (r for r in rows if pred(r) is True)
        accs = [new_accumulator(name) for name, _ in self._aggregates]
        pairs = [(acc.add, arg.fn) for acc, (_, arg) in zip(accs, self._aggregates, strict=True)]
        for row in rows:
            for add, fn in pairs:
                add(fn(row))
        results = [acc.result() for acc in accs]
        out = list(self._project([results]))
        if self.has_distinct:
            out = list(_dedupe(out))
        skip, take = self._window()
        return out[skip : None if take is None else skip + take]

    def __repr__(self) -> str:
        return f"CompiledQuery({self.query!r})"


def _contains_aggregate(node: Any) -> bool:
    from cosmosdb_emulator.query.functions import AGGREGATES

    if not isinstance(node, Tree):
        return False
    if node.data in ("subquery", "exists", "array_subquery"):
        return False
    if node.data == "func_call" and str(node.children[0]).upper() in AGGREGATES:
        return True
    return any(_contains_aggregate(c) for c in node.children)


def _dedupe(rows: Iterable[Any]) -> Iterator[Any]:
    seen: set[Any] = set()
    for row in rows:
        key = distinct_key(row)
        if key not in seen:
            seen.add(key)
            yield row


__all__ = ["CompiledQuery"]
