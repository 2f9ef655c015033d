"""``/offers``: query, list, read and replace container offers (provisioned throughput).

- ``POST /offers`` (query, e.g. ``SELECT * FROM root r WHERE r.resource=@link``) and
  ``GET /offers`` -> ``{"_rid":"","Offers":[...],"_count":n}``;
- ``GET /offers/{rid}/`` -> the offer; ``PUT /offers/{rid}/`` with the whole offer -> the
  replaced offer, whose new rate is enforced at once (the service may apply it later and say so
  with ``x-ms-offer-replace-pending``; the emulator never has a pending replace).

Sources relied on: azure-cosmos 4.17.1 ``_cosmos_client_connection.py:QueryOffers/ReplaceOffer``
and ``container.py:get_throughput/replace_throughput``; model in :mod:`cosmosdb_emulator.offers`.
"""

from __future__ import annotations

from cosmosdb_emulator import offers
from cosmosdb_emulator.app import App
from cosmosdb_emulator.errors import bad_request
from cosmosdb_emulator.handlers import query
from cosmosdb_emulator.messages import Request, Response, dumps, text_response
from cosmosdb_emulator.throughput import apply_rate


def query_or_list(app: App, request: Request) -> Response:
    """``POST /offers`` (a query) or ``GET /offers`` (every offer)."""
    with app.store.read() as conn:
        texts = offers.all_offers(conn)
    if request.method == "POST":
        return query.query_resources(request, texts, "", "Offers")
    body = f'{{"_rid":"","Offers":[{",".join(texts)}],"_count":{len(texts)}}}'
    return text_response(200, body, {"x-ms-item-count": str(len(texts))})


def read(app: App, request: Request) -> Response:
    """``GET /offers/{rid}/``."""
    with app.store.read() as conn:
        _, offer = offers.read_offer(conn, request.route.document or "")
    return text_response(200, dumps(offer))


def replace(app: App, request: Request) -> Response:
    """``PUT /offers/{rid}/``: change the RU/s (manual) or the autoscale maximum."""
    rid = request.route.document or ""
    body = request.json_object()
    if body.get("id", rid) != rid or body.get("_rid", rid) != rid:
        raise bad_request("The offer id in the body does not match the offer in the path.")
    with app.store.write() as conn:
        coll_rid, current = offers.read_offer(conn, rid)
        if body.get("offerResourceId", coll_rid) != coll_rid:
            raise bad_request("An offer's offerResourceId cannot be changed.")
        content = offers.replaced_content(current["content"], body.get("content"))
        rate = offers.set_offer(conn, coll_rid, current["resource"], content)
        _, offer = offers.read_offer(conn, rid)
    apply_rate(app, coll_rid, rate)
    return text_response(200, dumps(offer))
