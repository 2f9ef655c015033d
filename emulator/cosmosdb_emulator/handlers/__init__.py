"""Request handlers, one module per resource kind; :func:`dispatch` picks one by route."""

from __future__ import annotations

from cosmosdb_emulator.app import App
from cosmosdb_emulator.errors import CosmosError
from cosmosdb_emulator.handlers import (
    account,
    admin,
    children,
    databases,
    documents,
    offers,
    pkranges,
)
from cosmosdb_emulator.messages import Request, Response
from cosmosdb_emulator.routing import (
    ACCOUNT,
    ADMIN,
    CHILD,
    CHILDREN,
    CONFLICT,
    CONFLICTS,
    CONTAINER,
    CONTAINERS,
    DATABASE,
    DATABASES,
    DOCUMENT,
    DOCUMENTS,
    OFFER,
    OFFERS,
    PK_DELETE,
    PKRANGES,
)

_TABLE = {
    (ACCOUNT, "GET"): account.read,
    (DATABASES, "GET"): databases.list_databases,
    (DATABASES, "POST"): databases.create_database,
    (DATABASE, "GET"): databases.read_database,
    (DATABASE, "DELETE"): databases.delete_database,
    (CONTAINERS, "GET"): databases.list_containers,
    (CONTAINERS, "POST"): databases.create_container,
    (CONTAINER, "GET"): databases.read_container,
    (CONTAINER, "PUT"): databases.replace_container,
    (CONTAINER, "DELETE"): databases.delete_container,
    (PKRANGES, "GET"): pkranges.read_feed,
    (CHILDREN, "GET"): children.feed,
    (CHILDREN, "POST"): children.post,
    (CHILD, "GET"): children.read,
    (CHILD, "PUT"): children.replace,
    (CHILD, "DELETE"): children.delete,
    (CHILD, "POST"): children.execute,
    (CONFLICTS, "GET"): databases.list_conflicts,
    (CONFLICTS, "POST"): databases.list_conflicts,
    (CONFLICT, "GET"): databases.conflict_item,
    (CONFLICT, "DELETE"): databases.conflict_item,
    (DOCUMENTS, "POST"): documents.post,
    (DOCUMENTS, "GET"): documents.get_feed,
    (DOCUMENT, "GET"): documents.read,
    (DOCUMENT, "PUT"): documents.replace,
    (DOCUMENT, "PATCH"): documents.patch,
    (DOCUMENT, "DELETE"): documents.delete,
    (PK_DELETE, "POST"): documents.delete_partition_key,
    (OFFERS, "GET"): offers.query_or_list,
    (OFFERS, "POST"): offers.query_or_list,
    (OFFER, "GET"): offers.read,
    (OFFER, "PUT"): offers.replace,
    (ADMIN, "GET"): admin.handle,
    (ADMIN, "POST"): admin.handle,
    (ADMIN, "PUT"): admin.handle,
    (ADMIN, "DELETE"): admin.handle,
}


def dispatch(app: App, request: Request) -> Response:
    """Run the handler for a request's route and method.

    Raises:
        CosmosError: 405 for a known path with an unsupported method, or whatever the handler
            raises.
    """
    handler = _TABLE.get((request.route.kind, request.method))
    if handler is None:
        raise CosmosError(405, f"Method {request.method} is not allowed on this resource.")
    return handler(app, request)
