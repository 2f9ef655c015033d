"""Request-unit (RU) charge model, sent as ``x-ms-request-charge`` on every response.

The model (documented, deterministic; sizes in KB = 1,024 bytes, rounded up, minimum 1):

- point read: 1 RU per KB of the returned document;
- create / upsert / replace / patch: 5 RU per KB of the stored document; delete: 5 RU;
- delete by partition key: 5 RU per deleted item (charged as 10 RU flat here);
- transactional batch: the sum of its operations' charges (each op's ``requestCharge``);
- query / read feed / change feed: 2 RU per page + 0.1 RU per item + 0.5 RU per KB returned;
  a change-feed 304 costs 1 RU;
- pkranges, account, database/container operations: 1 RU; admin API: 0 RU;
- any error answer (status >= 400): 1 RU (429 from throttling: 0 RU).

Source relied on: Cosmos DB docs "Request Units" (1 KB point read = 1 RU; writes cost several
times more) - the exact service numbers vary, this model only needs to be plausible and stable.
"""

from __future__ import annotations

import json
import math

from cosmosdb_emulator.app import App, Hooks
from cosmosdb_emulator.messages import Request, Response
from cosmosdb_emulator.operations import classify

READ_RU_PER_KB = 1.0
WRITE_RU_PER_KB = 5.0
PAGE_BASE_RU = 2.0
PAGE_ITEM_RU = 0.1
PAGE_KB_RU = 0.5


def _kb(size: int) -> int:
    return max(1, math.ceil(size / 1024))


def charge_for(kind: str, detail: str, response: Response) -> float:
    """RU charge of one answered request.

    Args:
        kind: Operation kind from :func:`cosmosdb_emulator.operations.classify`.
        detail: Operation detail (write sub-kind).
        response: The response about to be sent.

    Returns:
        The charge in RU (two decimals).
    """
    status = response.status
    if kind == "admin" or status == 429:
        return 0.0
    if status >= 400 or status == 207:
        return 1.0
    size = len(response.body)
    if kind == "read":
        return READ_RU_PER_KB * _kb(size)
    if kind == "write":
        if detail == "delete":
            return WRITE_RU_PER_KB
        if detail == "partitionkeydelete":
            return 10.0
        return WRITE_RU_PER_KB * _kb(size) if size else WRITE_RU_PER_KB
    if kind == "batch":
        try:
            return round(
                sum(float(r.get("requestCharge", 0)) for r in json.loads(response.body)), 2
            )
        except (ValueError, AttributeError, TypeError):
            return 1.0
    if kind in ("query", "read_feed", "change_feed"):
        if status == 304:
            return 1.0
        items = int(response.headers.get("x-ms-item-count", "0") or 0)
        return round(PAGE_BASE_RU + PAGE_ITEM_RU * items + PAGE_KB_RU * (size / 1024), 2)
    return 1.0


def batch_operation_charge(status: int, stored_bytes: int) -> float:
    """Per-operation charge inside a batch (same model as single operations)."""
    if status == 204:
        return WRITE_RU_PER_KB
    if status == 200 and stored_bytes == 0:
        return READ_RU_PER_KB
    return WRITE_RU_PER_KB * _kb(stored_bytes)


class RequestChargeHook(Hooks):
    """Sets ``Response.charge`` (sent as ``x-ms-request-charge``) from :func:`charge_for`."""

    def after(self, app: App, request: Request, response: Response) -> Response:
        """Compute the charge unless a previous hook already set one."""
        if not response.charge:
            kind, detail = classify(request)
            response.charge = charge_for(kind, detail, response)
        return response
