"""Offers: the provisioned throughput (RU/s) of a container, as the service stores it.

A container created with ``x-ms-offer-throughput`` (manual RU/s) or
``x-ms-cosmos-offer-autopilot-settings`` (autoscale, ``{"maxThroughput": n}``) gets one offer
(``offerVersion: "V2"``) whose ``resource`` is the container's ``_self`` and ``offerResourceId`` its
``_rid``. The enforced rate (``containers.throughput``, see :mod:`cosmosdb_emulator.throughput`) is
``content.offerThroughput`` for manual offers and ``content.offerAutopilotSettings.maxThroughput``
for autoscale ones (autoscale scales instantly between 10 % and 100 % of the maximum, so the
maximum is the limit a client can hit). A container created without either header has no offer
and is not limited (as in a serverless account); the SDK's ``get_throughput`` then raises 404.

Service rules followed (Cosmos DB docs "Provision standard (manual) throughput" and "autoscale"):
manual RU/s are 400 .. 1,000,000 in steps of 100; autoscale maximum RU/s are 1,000 .. 1,000,000
in steps of 1,000; anything else is 400. A database created with either header gets an offer
the same way (``resource`` = the database's ``_self``); its RU/s are recorded but not enforced.

Sources relied on: azure-cosmos 4.17.1 ``container.py:get_throughput/replace_throughput``,
``_base.py:_set_throughput_options/_deserialize_throughput/_replace_throughput``,
``_cosmos_client_connection.py:QueryOffers/ReplaceOffer``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from typing import Any

from cosmosdb_emulator import rids
from cosmosdb_emulator.catalog import new_etag
from cosmosdb_emulator.errors import bad_request, not_found
from cosmosdb_emulator.messages import dumps

MANUAL_MIN, MANUAL_STEP = 400, 100
AUTOSCALE_MIN, AUTOSCALE_STEP = 1000, 1000
MAX_RU = 1_000_000


def _whole(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise bad_request(f"The {what} must be a whole number of RU/s, got {value!r}.")
    return int(value)


def validate_manual(value: Any) -> int:
    """A manual RU/s value: 400 .. 1,000,000 in steps of 100 (400 otherwise)."""
    ru = _whole(value, "offer throughput")
    if ru < MANUAL_MIN or ru > MAX_RU or ru % MANUAL_STEP:
        raise bad_request(
            f"The offer throughput {ru} is invalid: it must be between {MANUAL_MIN} and {MAX_RU}"
            f" RU/s in increments of {MANUAL_STEP}."
        )
    return ru


def validate_autoscale(value: Any) -> int:
    """An autoscale maximum: 1,000 .. 1,000,000 in steps of 1,000 (400 otherwise)."""
    ru = _whole(value, "autoscale maxThroughput")
    if ru < AUTOSCALE_MIN or ru > MAX_RU or ru % AUTOSCALE_STEP:
        raise bad_request(
            f"The autoscale maxThroughput {ru} is invalid: it must be between {AUTOSCALE_MIN}"
            f" and {MAX_RU} RU/s in increments of {AUTOSCALE_STEP}."
        )
    return ru


def content_from_headers(manual: str | None, autopilot: str | None) -> dict[str, Any] | None:
    """The offer ``content`` asked for by container-create headers, or ``None`` for no offer.

    Args:
        manual: ``x-ms-offer-throughput`` header value (RU/s as text).
        autopilot: ``x-ms-cosmos-offer-autopilot-settings`` header value (JSON object text with
            ``maxThroughput`` and optionally ``autoUpgradePolicy``).

    Raises:
        CosmosError: 400 if a value is malformed or outside the service's limits, or both given.
    """
    if manual is not None and autopilot is not None:
        raise bad_request("Give either x-ms-offer-throughput or autoscale settings, not both.")
    if manual is not None:
        try:
            number = float(manual)
        except ValueError as exc:
            raise bad_request(f"Invalid x-ms-offer-throughput header {manual!r}.") from exc
        return manual_content(validate_manual(number))
    if autopilot is not None:
        try:
            settings = json.loads(autopilot)
        except ValueError as exc:
            raise bad_request(f"Invalid autoscale settings header {autopilot!r}.") from exc
        if not isinstance(settings, dict):
            raise bad_request("Autoscale settings must be a JSON object.")
        return autoscale_content(validate_autoscale(settings.get("maxThroughput")), settings)
    return None


def manual_content(ru: float) -> dict[str, Any]:
    """``content`` of a manual offer of ``ru`` RU/s."""
    value: float | int = int(ru) if float(ru).is_integer() else ru
    return {
        "offerThroughput": value,
        "offerIsRUPerMinuteThroughputEnabled": False,
    }


def autoscale_content(max_ru: int, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """``content`` of an autoscale offer (``offerThroughput`` = the 10 % floor)."""
    auto: dict[str, Any] = {"maxThroughput": max_ru}
    policy = (settings or {}).get("autoUpgradePolicy")
    if isinstance(policy, dict):
        auto["autoUpgradePolicy"] = policy
    return {
        "offerThroughput": max(MANUAL_MIN, max_ru // 10),
        "offerIsRUPerMinuteThroughputEnabled": False,
        "offerAutopilotSettings": auto,
    }


def enforced_rate(content: dict[str, Any]) -> float:
    """The RU/s the emulator enforces for an offer ``content``."""
    auto = content.get("offerAutopilotSettings")
    if isinstance(auto, dict):
        return float(auto["maxThroughput"])
    return float(content["offerThroughput"])


def _new_offer_rid(conn: sqlite3.Connection) -> str:
    while True:
        rid = rids.encode(os.urandom(3)).replace("-", "x").replace("+", "y")
        if not conn.execute("SELECT 1 FROM offers WHERE rid=?", (rid,)).fetchone():
            return rid


def set_offer(
    conn: sqlite3.Connection, coll_rid: str, coll_self: str, content: dict[str, Any] | None
) -> float | None:
    """Create, replace or (``content=None``) remove a container's offer; call inside a write.

    Also stores the enforced rate in ``containers.throughput``.

    Returns:
        The enforced RU/s, or ``None`` when the container is left without an offer.
    """
    if content is None:
        conn.execute("DELETE FROM offers WHERE coll_rid=?", (coll_rid,))
        conn.execute("UPDATE containers SET throughput=NULL WHERE rid=?", (coll_rid,))
        return None
    row = conn.execute("SELECT rid FROM offers WHERE coll_rid=?", (coll_rid,)).fetchone()
    rid = str(row[0]) if row else _new_offer_rid(conn)
    offer = {
        "resource": coll_self,
        "offerType": "Invalid",
        "offerResourceId": coll_rid,
        "offerVersion": "V2",
        "content": content,
        "id": rid,
        "_rid": rid,
        "_self": f"offers/{rid}/",
        "_etag": new_etag(),
        "_ts": int(time.time()),
    }
    conn.execute(
        "INSERT INTO offers(rid, coll_rid, body) VALUES(?,?,?)"
        " ON CONFLICT(rid) DO UPDATE SET body=excluded.body",
        (rid, coll_rid, dumps(offer)),
    )
    rate = enforced_rate(content)
    conn.execute("UPDATE containers SET throughput=? WHERE rid=?", (rate, coll_rid))
    return rate


def all_offers(conn: sqlite3.Connection) -> list[str]:
    """Every offer's JSON text, oldest first."""
    return [str(r[0]) for r in conn.execute("SELECT body FROM offers ORDER BY rowid")]


def offer_content(conn: sqlite3.Connection, resource_rid: str) -> dict[str, Any] | None:
    """The ``content`` of a container's or database's offer, or ``None`` without one."""
    row = conn.execute("SELECT body FROM offers WHERE coll_rid=?", (resource_rid,)).fetchone()
    if row is None:
        return None
    content: dict[str, Any] = json.loads(row[0])["content"]
    return content


def read_offer(conn: sqlite3.Connection, rid: str) -> tuple[str, dict[str, Any]]:
    """``(coll_rid, offer)`` for an offer RID; 404 if there is none."""
    row = conn.execute("SELECT coll_rid, body FROM offers WHERE rid=?", (rid,)).fetchone()
    if row is None:
        raise not_found("Offer")
    return str(row[0]), json.loads(row[1])


def replaced_content(current: dict[str, Any], new: Any) -> dict[str, Any]:
    """Validate a replacement ``content`` against the current offer's kind.

    An autoscale offer keeps being autoscale (its ``maxThroughput`` is what changes); a manual
    offer takes the new ``offerThroughput``.

    Raises:
        CosmosError: 400 if ``content`` is missing or a value is outside the service's limits.
    """
    if not isinstance(new, dict):
        raise bad_request("The offer 'content' object is required.")
    if isinstance(current.get("offerAutopilotSettings"), dict):
        auto = new.get("offerAutopilotSettings")
        if not isinstance(auto, dict):
            raise bad_request("An autoscale offer needs content.offerAutopilotSettings.")
        return autoscale_content(validate_autoscale(auto.get("maxThroughput")), auto)
    return manual_content(validate_manual(new.get("offerThroughput")))
