"""Batch: atomic (<= 100 operations, <= 2 MB) or non-atomic (bulk).

Limits: Cosmos DB "Transactional batch operations",
https://learn.microsoft.com/azure/cosmos-db/nosql/transactional-batch.

The non-atomic form is what the bulk executors of the .NET, Java and JavaScript SDKs send.

Source relied on: azure-cosmos 4.17.1 ``_base.py:_format_batch_operations`` and
``_cosmos_client_connection.py:_Batch``; SDK test ``tests/test_transactional_batch.py``.
"""

from __future__ import annotations

import json
import math
from typing import Any

from cosmosdb_emulator.app import App
from cosmosdb_emulator.documents import MAX_DOCUMENT_BYTES, PartitionKey, Writer, WriteResult
from cosmosdb_emulator.epk import decode_header_value
from cosmosdb_emulator.errors import CosmosError, bad_request, not_found
from cosmosdb_emulator.handlers.common import partition_key, writing
from cosmosdb_emulator.messages import Request, Response, dumps, text_response
from cosmosdb_emulator.request_charge import READ_RU_PER_KB, batch_operation_charge

MAX_OPERATIONS = 100


class _Rollback(Exception):
    def __init__(self, index: int, error: CosmosError) -> None:
        super().__init__(error.message)
        self.index = index
        self.error = error


def _result_json(result: WriteResult, kind: str) -> str:
    size = len(result.text.encode("utf-8")) if result.text is not None else 0
    if kind == "read":
        charge = READ_RU_PER_KB * max(1, math.ceil(size / 1024))
    else:
        charge = batch_operation_charge(result.status, size)
    head = f'{{"statusCode":{result.status},"requestCharge":{charge}'
    if result.etag:
        head += f',"eTag":{dumps(result.etag)}'
    if result.text is not None:
        head += f',"resourceBody":{result.text}'
    return head + "}"


def _apply(writer: Writer, op: dict[str, Any], pk: PartitionKey) -> WriteResult:
    pk = pk.for_version(writer.container.version)
    kind = str(op.get("operationType", "")).lower()
    body = op.get("resourceBody")
    if_match = op.get("ifMatch")
    if kind == "create":
        return writer.create(body, pk)
    if kind == "upsert":
        return writer.upsert(body, pk, if_match)
    doc_id = op.get("id")
    if not isinstance(doc_id, str):
        raise bad_request(f"Batch {kind} operation needs a string 'id'.")
    if kind == "replace":
        return writer.replace(doc_id, body, pk, if_match)
    if kind == "delete":
        return writer.delete(doc_id, pk, if_match)
    if kind == "patch":
        return writer.patch(doc_id, body, pk, if_match)
    if kind == "read":
        text = writer.read(pk, doc_id)
        if text is None:
            raise not_found("Document")
        return WriteResult(200, text, json.loads(text).get("_etag"), writer.lsn)
    raise bad_request(f"Unknown batch operationType {op.get('operationType')!r}.")


def run(app: App, request: Request) -> Response:
    """Execute a batch atomically.

    Returns:
        200 with one result per operation, or 207 after rolling back with the failing
        operation's real status and 424 for every other operation.

    Raises:
        CosmosError: 413 over 2 MB; 400 when empty, over 100 operations, not a JSON array or
            missing the partition key header.
    """
    if len(request.body) > MAX_DOCUMENT_BYTES:
        raise CosmosError(413, "Request size is too large.")
    ops = request.json()
    if not isinstance(ops, list):
        raise bad_request("Batch request body must be a JSON array.")
    if not ops:
        raise bad_request("Batch request has no operations.")
    if len(ops) > MAX_OPERATIONS:
        raise bad_request("Batch request has more operations than what is supported.")
    if (request.headers.get("x-ms-cosmos-batch-atomic") or "").strip().lower() == "false":
        return _run_non_atomic(app, request, ops)
    pk = partition_key(request, required=True)
    assert pk is not None
    results: list[WriteResult] = []
    try:
        with writing(app, request) as writer:
            writer.single_lsn()  # the service commits a transactional batch at one LSN
            if len(pk.components) != len(writer.container.paths):
                # A batch is one logical partition: a prefix of a hierarchical key fails the
                # whole request, not its operations (service wording, which azure-cosmos 4.17.1
                # tests/test_transactional_batch.py checks).
                raise bad_request(
                    "Partition key provided either doesn't correspond to definition in the"
                    " collection or doesn't match partition key field values specified in the"
                    " document."
                )
            for index, op in enumerate(ops):
                try:
                    if not isinstance(op, dict):
                        raise bad_request("Each batch operation must be an object.")
                    results.append(_apply(writer, op, pk))
                except CosmosError as exc:
                    raise _Rollback(index, exc) from exc
    except _Rollback as failure:
        entries = []
        for index in range(len(ops)):
            if index == failure.index:
                err = failure.error
                entry: dict[str, Any] = {
                    "statusCode": err.status,
                    "requestCharge": 0.0,
                    "message": err.message,
                }
                if err.substatus is not None:
                    entry["subStatusCode"] = err.substatus
            else:
                entry = {"statusCode": 424, "requestCharge": 0.0}
            entries.append(entry)
        return text_response(207, dumps(entries))
    lsn = results[-1].lsn if results else 0
    kinds = [str(op.get("operationType", "")).lower() for op in ops]
    body = "[" + ",".join(_result_json(r, k) for r, k in zip(results, kinds, strict=True)) + "]"
    return text_response(200, body, {"lsn": str(lsn)})


def _operation_key(op: dict[str, Any], default: PartitionKey | None) -> PartitionKey:
    """An operation's own ``partitionKey`` (a JSON array, or that array as a JSON string)."""
    raw = op.get("partitionKey")
    if raw is None:
        if default is None:
            raise bad_request("The batch operation has no partitionKey.")
        return default
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
        return PartitionKey.of(decode_header_value(value))
    except ValueError as exc:
        raise bad_request(f"Invalid partitionKey {raw!r} in batch operation: {exc}") from exc


def _error_entry(err: CosmosError) -> dict[str, Any]:
    entry: dict[str, Any] = {"statusCode": err.status, "requestCharge": 0.0, "message": err.message}
    if err.substatus is not None:
        entry["subStatusCode"] = err.substatus
    return entry


def _run_non_atomic(app: App, request: Request, ops: list[Any]) -> Response:
    """A non-atomic batch (``x-ms-cosmos-batch-atomic: false``), as sent by bulk executors.

    Each operation names its own partition key (``partitionKey``; the request usually names a
    physical range by ``x-ms-documentdb-partitionkeyrangeid`` instead of a partition key) and
    succeeds or fails alone. With ``x-ms-cosmos-batch-continue-on-error: false`` the operations
    after the first failure are not run (424). Source relied on: the JavaScript SDK
    ``@azure/cosmos`` ``bulk`` (``x-ms-cosmos-batch-atomic`` and
    ``x-ms-cosmos-batch-continue-on-error`` headers, per-operation ``partitionKey``).

    Returns:
        200 when every operation succeeded, else 207; one result per operation either way.
    """
    default = partition_key(request, required=False)
    continue_on_error = (
        request.headers.get("x-ms-cosmos-batch-continue-on-error") or ""
    ).strip().lower() != "false"
    entries: list[str] = []
    failed = False
    last_lsn = 0
    with writing(app, request) as writer:
        for op in ops:
            if failed and not continue_on_error:
                entries.append('{"statusCode":424,"requestCharge":0.0}')
                continue
            try:
                with writer.savepoint():  # a failed operation leaves no write and no LSN
                    if not isinstance(op, dict):
                        raise bad_request("Each batch operation must be an object.")
                    result = _apply(writer, op, _operation_key(op, default))
            except CosmosError as exc:
                failed = True
                entries.append(dumps(_error_entry(exc)))
                continue
            last_lsn = writer.lsn
            entries.append(_result_json(result, str(op.get("operationType", "")).lower()))
    headers = {"lsn": str(last_lsn)} if last_lsn else {}
    return text_response(207 if failed else 200, "[" + ",".join(entries) + "]", headers)
