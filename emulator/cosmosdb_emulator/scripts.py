"""Stored procedures run by a real JavaScript engine (QuickJS, from the ``quickjs`` package).

A stored procedure runs in one logical partition (the request's partition key) inside one write
transaction: if it throws, nothing it wrote is kept. The server-side API follows the Cosmos DB
JavaScript server-side reference (``getContext()``):

- ``getContext().getResponse()``: ``getBody()``, ``setBody(value)``, ``appendValue(key, value)``
  (appends to the body as text);
- ``getContext().getRequest()``: ``getBody()``, ``setBody(value)`` (the parameters array);
- ``getContext().getCollection()`` (also ``__``): ``getSelfLink()``, ``getAltLink()``,
  ``createDocument``, ``upsertDocument``, ``replaceDocument``, ``deleteDocument``,
  ``readDocument``, ``readDocuments`` and ``queryDocuments`` with the
  ``(link, [body/query], [options], [callback(err, resource, options)])`` signatures; each
  returns ``true`` (accepted) and calls its callback before returning. An error without a
  callback is thrown;
- ``console.log(format, ...args)`` (``%s``/``%d`` substitution), returned URL-encoded in
  ``x-ms-documentdb-script-log-results`` when ``x-ms-documentdb-script-enable-logging`` is on.

Pre- and post-triggers named by ``x-ms-documentdb-pre-trigger-include`` /
``x-ms-documentdb-post-trigger-include`` run the same way around a create, upsert, replace or
delete (:func:`run_trigger`). A script runs at most 5 seconds (then 408, rolled back). UDFs are
stored but not run.
"""

from __future__ import annotations

import json
import select
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from cosmosdb_emulator import feeds
from cosmosdb_emulator.documents import PartitionKey, Writer, find_by_rid
from cosmosdb_emulator.errors import CosmosError, bad_request
from cosmosdb_emulator.messages import dumps

TIME_LIMIT_SECONDS = 5
MEMORY_LIMIT_BYTES = 64 * 1024 * 1024

_PRELUDE = r"""
var __response = undefined, __hasBody = false, __logs = [];
function __call(op, args) {
  var out = JSON.parse(__op(op, JSON.stringify(args)));
  return out;
}
function __finish(op, args, options, callback) {
  if (typeof options === 'function') { callback = options; options = {}; }
  var out = __call(op, args);
  var err = out.err === undefined ? undefined : out.err;
  if (err !== undefined && err !== null) {
    var e = new Error(err.message); e.number = err.number; e.body = err.message;
    if (callback) { callback(e, undefined, {}); return true; }
    throw e;
  }
  if (callback) { callback(undefined, out.ok, out.options || {}); }
  return true;
}
var __collection = {
  getSelfLink: function () { return __selfLink; },
  getAltLink: function () { return __altLink; },
  createDocument: function (link, doc, options, callback) {
    return __finish('create', {doc: doc}, options, callback); },
  upsertDocument: function (link, doc, options, callback) {
    return __finish('upsert', {doc: doc}, options, callback); },
  replaceDocument: function (link, doc, options, callback) {
    return __finish('replace', {link: link, doc: doc}, options, callback); },
  deleteDocument: function (link, options, callback) {
    return __finish('delete', {link: link}, options, callback); },
  readDocument: function (link, options, callback) {
    return __finish('read', {link: link}, options, callback); },
  readDocuments: function (link, options, callback) {
    return __finish('query', {query: 'SELECT * FROM root r'}, options, callback); },
  queryDocuments: function (link, query, options, callback) {
    return __finish('query', {query: query}, options, callback); }
};
var __ = __collection;
var __request = {
  getBody: function () { return __params; },
  setBody: function (value) { __params = value; },
  getValue: function (key) { return key === 'Body' ? __params : undefined; }
};
var __responseApi = {
  getBody: function () { return __response; },
  setBody: function (value) { __response = value; __hasBody = true; },
  appendValue: function (key, value) {
    __response = (__response === undefined ? '' : String(__response)) + String(value);
    __hasBody = true;
  },
  appendBody: function (value) { __responseApi.appendValue('Body', value); },
  getValue: function (key) { return key === 'Body' ? __response : undefined; },
  setValue: function (key, value) { if (key === 'Body') { __responseApi.setBody(value); } }
};
var __context = {
  getCollection: function () { return __collection; },
  getResponse: function () { return __responseApi; },
  getRequest: function () { return __request; }
};
function getContext() { return __context; }
var console = {
  log: function () {
    var args = Array.prototype.slice.call(arguments);
    var text = args.length ? String(args.shift()) : '';
    text = text.replace(/%[sdij]/g, function (m) { return args.length ? String(args.shift()) : m; });
    if (args.length) { text += ' ' + args.map(String).join(' '); }
    __logs.push(text);
  }
};
"""


@dataclass
class Outcome:
    """What a stored procedure returned: the response body (JSON text) and its log lines."""

    body: str
    logs: list[str] = field(default_factory=list)


class _Api:
    """The Python side of the collection API, for one execution."""

    def __init__(self, writer: Writer, pk: PartitionKey) -> None:
        self.conn = writer.conn
        self.info = writer.container
        self.pk = pk
        self.writer = writer

    def _doc_id(self, link: Any) -> str:
        parts = [p for p in str(link).split("/") if p]
        if not parts:
            raise bad_request("Invalid document link.")
        key = parts[-1]
        found = find_by_rid(self.conn, self.info, key)
        return found[0] if found is not None else key

    def call(self, op: str, args_json: str) -> str:
        args = json.loads(args_json)
        try:
            result = self._run(op, args)
        except CosmosError as exc:
            return dumps({"err": {"number": exc.status, "message": exc.message}})
        return dumps({"ok": result})

    def _run(self, op: str, args: dict[str, Any]) -> Any:
        w, pk = self.writer, self.pk
        if op == "create":
            text = w.create(args.get("doc"), pk).text
        elif op == "upsert":
            text = w.upsert(args.get("doc"), pk).text
        elif op == "replace":
            text = w.replace(self._doc_id(args.get("link")), args.get("doc"), pk, None).text
        elif op == "delete":
            w.delete(self._doc_id(args.get("link")), pk, None)
            return None
        elif op == "read":
            text = w.read(pk, self._doc_id(args.get("link")))
            if text is None:
                raise CosmosError(404, "Resource Not Found")
        elif op == "query":
            return self._query(args.get("query"))
        else:
            raise bad_request(f"Unknown collection operation {op!r}.")
        return None if text is None else json.loads(text)

    def _query(self, query: Any) -> list[Any]:
        from cosmosdb_emulator import query as engine

        if isinstance(query, dict):
            text, params = str(query.get("query", "")), query.get("parameters") or []
        else:
            text, params = str(query), []
        try:
            compiled = engine.compile_query(text, params)
        except engine.QueryError as exc:
            raise bad_request(str(exc)) from exc
        docs = [
            json.loads(body)
            for body in feeds.partition_bodies(self.conn, self.info.rid, self.pk.epk)
        ]
        return list(compiled.execute(docs))


def run_stored_procedure(
    writer: Writer,
    script: str,
    params: list[Any],
    pk: PartitionKey,
    alt_link: str,
) -> Outcome:
    """Run a stored procedure's JavaScript in the writer's transaction.

    The script runs in a child process (QuickJS cannot call back into Python under a time
    limit), which asks this process for each collection operation over its stdin/stdout; the
    child is killed after :data:`TIME_LIMIT_SECONDS`.

    Args:
        writer: The writer of the open write transaction (:func:`cosmosdb_emulator.documents.writer`,
            which rolls it back on error).
        script: The stored procedure's ``body`` (a JavaScript function expression).
        params: The request body: the function's arguments.
        pk: The partition key the procedure runs in.
        alt_link: The container's name-based link (``dbs/{db}/colls/{c}``).

    Returns:
        The response body and the ``console.log`` lines.

    Raises:
        CosmosError: 400 when the script throws (or is not a function), 408 after 5 seconds.
    """
    api = _Api(writer, pk)
    start = {
        "script": script,
        "params": params,
        "selfLink": writer.container.self_link,
        "altLink": alt_link,
    }
    message = _run_child(api, start)
    body = str(message["body"]) if message.get("hasBody") else ""
    return Outcome(body, [str(x) for x in message.get("logs", [])])


def run_trigger(
    writer: Writer,
    script: str,
    pk: PartitionKey,
    alt_link: str,
    request_body: Any,
    response_body: Any = None,
) -> Any:
    """Run a pre-trigger (``response_body`` None) or post-trigger in the operation's transaction.

    ``getContext().getRequest().getBody()`` is the item sent (a pre-trigger may replace it with
    ``setBody``); a post-trigger also sees the stored item as ``getResponse().getBody()``. A
    trigger that throws fails the operation (400) and nothing is written.

    Returns:
        The request body after the trigger (the item to write, for a pre-trigger).

    Raises:
        CosmosError: 400 when the trigger throws, 408 after 5 seconds.
    """
    api = _Api(writer, pk)
    start = {
        "script": script,
        "params": request_body,
        "selfLink": writer.container.self_link,
        "altLink": alt_link,
        "trigger": True,
        "response": response_body,
    }
    message = _run_child(api, start)
    return json.loads(message["request"])


def _run_child(api: _Api, start: dict[str, Any]) -> dict[str, Any]:
    """Run the script of ``start`` in a child process, serving its collection operations."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "cosmosdb_emulator._sproc_child"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    deadline = time.monotonic() + TIME_LIMIT_SECONDS
    try:
        proc.stdin.write(dumps(start) + "\n")
        proc.stdin.flush()
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([proc.stdout], [], [], remaining)[0]:
                raise CosmosError(408, "The stored procedure ran out of time.")
            line = proc.stdout.readline()
            if not line:
                raise CosmosError(500, "The stored procedure's JavaScript engine stopped.")
            message = json.loads(line)
            if "op" in message:
                proc.stdin.write(api.call(message["op"], dumps(message["args"])) + "\n")
                proc.stdin.flush()
                continue
            if "error" in message:
                raise bad_request(
                    "Encountered exception while executing function. Exception = "
                    + str(message["error"])
                )
            result: dict[str, Any] = message
            return result
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def child_main() -> None:
    """The child process: run one script, asking the parent for collection operations."""
    import quickjs

    start = json.loads(sys.stdin.readline())

    def op(name: str, args_json: str) -> str:
        sys.stdout.write(dumps({"op": name, "args": json.loads(args_json)}) + "\n")
        sys.stdout.flush()
        return sys.stdin.readline().strip()

    ctx = quickjs.Context()
    ctx.set_memory_limit(MEMORY_LIMIT_BYTES)
    ctx.add_callable("__op", op)
    ctx.set("__selfLink", start["selfLink"])
    ctx.set("__altLink", start["altLink"])
    ctx.eval(f"var __params = {dumps(start['params'])};")
    ctx.eval(_PRELUDE)
    try:
        ctx.eval(f"var __sproc = ({start['script']});")
        if ctx.eval("typeof __sproc") != "function":
            raise ValueError("The stored procedure body must be a JavaScript function.")
        if start.get("trigger"):
            if start.get("response") is not None:
                ctx.eval(f"__response = {dumps(start['response'])}; __hasBody = true;")
            ctx.eval("__sproc.call(getContext());")
        else:
            ctx.eval(
                "__sproc.apply(getContext(), Array.isArray(__params) ? __params : [__params]);"
            )
        result = {
            "done": True,
            "request": ctx.eval("JSON.stringify(__params === undefined ? null : __params)"),
            "hasBody": bool(ctx.eval("__hasBody")),
            "body": ctx.eval("JSON.stringify(__response === undefined ? null : __response)"),
            "logs": json.loads(ctx.eval("JSON.stringify(__logs)")),
        }
    except (quickjs.JSException, ValueError) as exc:
        text = str(exc).splitlines()[0] if str(exc) else "error"
        result = {"error": text}
    sys.stdout.write(dumps(result) + "\n")
    sys.stdout.flush()
