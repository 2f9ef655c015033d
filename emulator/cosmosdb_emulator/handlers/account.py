"""``GET /``: the database account.

Read by azure-cosmos in ``azure/cosmos/_global_endpoint_manager.py:_GetDatabaseAccount``.
"""

from __future__ import annotations

from cosmosdb_emulator.app import App
from cosmosdb_emulator.messages import Request, Response, json_response


def read(app: App, request: Request) -> Response:
    """The account, with locations echoing the scheme and Host the request came in on.

    Echoing the request's own base URL keeps the client talking to the address it was given
    (the SDK routes every later request to ``databaseAccountEndpoint``,
    ``azure/cosmos/_location_cache.py``); ``userConsistencyPolicy`` avoids a literal
    ``x-ms-consistency-level: None`` header
    (``azure/cosmos/_cosmos_client_connection.py:_set_client_consistency_level``).
    """
    location = [{"name": "Local", "databaseAccountEndpoint": request.base_url}]
    body = {
        "id": "localhost",
        "_rid": "localhost",
        "_self": "",
        "_dbs": "//dbs/",
        "media": "//media/",
        "addresses": "//addresses/",
        "userConsistencyPolicy": {"defaultConsistencyLevel": "Session"},
        "writableLocations": location,
        "readableLocations": location,
        "enableMultipleWriteLocations": False,
        "userReplicationPolicy": {
            "asyncReplication": False,
            "minReplicaSetSize": 1,
            "maxReplicasetSize": 4,
        },
        "systemReplicationPolicy": {"minReplicaSetSize": 1, "maxReplicasetSize": 4},
        "readPolicy": {"primaryReadCoefficient": 1, "secondaryReadCoefficient": 1},
        "queryEngineConfiguration": '{"maxSqlQueryInputLength":262144}',
    }
    return json_response(200, body)
