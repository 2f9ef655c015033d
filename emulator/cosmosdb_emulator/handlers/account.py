"""``GET /``: the database account (protocol notes §2)."""

from __future__ import annotations

from cosmosdb_emulator.app import App
from cosmosdb_emulator.messages import Request, Response, json_response


def read(app: App, request: Request) -> Response:
    """The account, with locations echoing the scheme and Host the request came in on.

    Echoing the request's own base URL keeps the client talking to the address it was given
    (pitfall #3); ``userConsistencyPolicy`` avoids ``x-ms-consistency-level: None`` (pitfall #6).
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
