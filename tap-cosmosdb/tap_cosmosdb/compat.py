"""Every private singer-sdk and azure-cosmos use of tap-cosmosdb, with its reason.

Both libraries are pinned exactly in ``tap-cosmosdb/pyproject.toml``. :data:`PRIVATE_USES`
records a fingerprint (:func:`cosmosdb_shared.compat.source_fingerprint`) of each private
function or class relied on; ``tests/tap/test_compat.py`` fails when an installed version
changes one, so an upgrade is reviewed here before it can change what the tap emits.

Private uses:

``azure.cosmos._global_endpoint_manager._GlobalEndpointManager._start_background_refresh``
    A new ``CosmosClient`` starts a daemon thread named ``cosmos-endpoint-refresh`` that
    submits endpoint health checks to an executor. If the process exits while that thread
    still runs (a worker client created just before a one-line error), it logs a traceback
    ("cannot schedule new futures after interpreter shutdown"). :func:`wait_for_endpoint_refresh`
    waits for those threads by name. No public way to wait for or disable the check exists in
    azure-cosmos 4.17.1; upstream issue: none found.
"""

from __future__ import annotations

import threading

#: Private callables relied on, by dotted name, with the fingerprint of their source in the
#: pinned versions (see :func:`cosmosdb_shared.compat.source_fingerprint`).
PRIVATE_USES: dict[str, str] = {
    "azure.cosmos._global_endpoint_manager._GlobalEndpointManager._start_background_refresh": (
        "6475233b6c7e3bc7"
    ),
}

#: The name azure-cosmos gives its endpoint refresh thread
#: (``_GlobalEndpointManager._start_background_refresh``).
ENDPOINT_REFRESH_THREAD = "cosmos-endpoint-refresh"


def wait_for_endpoint_refresh(timeout: float = 10.0) -> None:
    """Wait until azure-cosmos's endpoint refresh threads have ended.

    Args:
        timeout: Seconds to wait for each such thread at most.
    """
    current = threading.current_thread()
    for thread in threading.enumerate():
        if thread.name == ENDPOINT_REFRESH_THREAD and thread is not current:
            thread.join(timeout)
