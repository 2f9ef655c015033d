"""Build an ``azure.cosmos.CosmosClient`` from the shared connection settings."""

from __future__ import annotations

import typing as t

from azure.cosmos import CosmosClient
from azure.cosmos.exceptions import CosmosHttpResponseError, CosmosResourceNotFoundError

from cosmosdb_shared.errors import describe_error
from cosmosdb_shared.settings import (
    ConnectionSettings,
    CosmosConnectionError,
    parse_connection_string,
)

__all__ = [
    "CosmosConnectionError",
    "build_client",
    "check_connection",
    "parse_connection_string",
    "pooled_transport",
    "resolve_credential",
]

if t.TYPE_CHECKING:
    from azure.cosmos import DatabaseProxy

    from cosmosdb_shared.request_charge import RequestChargeMeter


def resolve_credential(
    config: ConnectionSettings | t.Mapping[str, t.Any],
) -> tuple[str, t.Any]:
    """Work out the endpoint and credential from the settings, without any network I/O.

    Args:
        config: The parsed connection settings, or a plugin configuration holding them
            (parsed here with :meth:`ConnectionSettings.from_config`).

    Returns:
        ``(endpoint, credential)`` where the credential is a master-key string or an
        azure-identity ``TokenCredential``.

    Raises:
        CosmosConnectionError: On a missing, contradictory or malformed combination, naming the
            setting, or an Entra ID ``auth_type`` without azure-identity installed.
    """
    settings = (
        config if isinstance(config, ConnectionSettings) else ConnectionSettings.from_config(config)
    )
    endpoint, key = settings.endpoint_and_key()
    if key is not None:
        return endpoint, key
    auth_type = settings.auth_type
    try:
        import azure.identity as identity
    except ImportError:
        raise CosmosConnectionError(
            f"auth_type '{auth_type}' needs azure-identity: install the plugin with the "
            "'entra' extra"
        ) from None
    if auth_type == "service_principal":
        credential: t.Any = identity.ClientSecretCredential(
            tenant_id=str(settings.tenant_id),
            client_id=str(settings.client_id),
            client_secret=str(settings.client_secret),
        )
        return endpoint, credential
    return endpoint, identity.DefaultAzureCredential()


def pooled_transport(pool_size: int) -> t.Any:
    """Return an azure-core requests transport whose connection pool holds ``pool_size``.

    azure-core's ``RequestsTransport`` accepts a ``requests.Session`` (its public ``session``
    keyword); the session gets an adapter like azure-core's own (urllib3 retries off: the
    pipeline and the callers retry) with ``pool_maxsize`` raised, so that many threads sharing
    one client each keep their connection.

    Args:
        pool_size: Connections kept per host (at least 1).

    Returns:
        A ``RequestsTransport`` for ``CosmosClient(transport=...)``.
    """
    import requests
    from azure.core.pipeline.transport import RequestsTransport
    from urllib3.util.retry import Retry

    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(
        pool_maxsize=max(1, pool_size),
        max_retries=Retry(total=False, redirect=False, raise_on_status=False),
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return RequestsTransport(session=session, session_owner=True)


def build_client(
    config: ConnectionSettings | t.Mapping[str, t.Any],
    *,
    meter: RequestChargeMeter | None = None,
    user_agent: str | None = None,
    pool_size: int | None = None,
    **client_kwargs: t.Any,
) -> CosmosClient:
    """Create a ``CosmosClient`` from the shared connection settings.

    The constructor reads the database account (``GET /``), so an unreachable endpoint, a TLS
    failure or a rejected key are reported here.

    Args:
        config: The parsed connection settings (or a plugin configuration holding them).
        meter: Optional RU meter; attached as azure-core ``raw_response_hook`` so every HTTP
            response (including internally retried 429s) is counted.
        user_agent: Suffix for the User-Agent header, e.g. ``"tap-cosmosdb/0.1.0"``.
        pool_size: Most HTTP connections kept open to the account (per host). None keeps
            azure-core's default (requests' pool of 10), which discards connections with a
            ``Connection pool is full`` warning when more threads than that share the client.
        **client_kwargs: Passed on to ``CosmosClient`` (e.g. ``retry_total``).

    Returns:
        A connected client.

    Raises:
        CosmosConnectionError: On bad settings, or when the account cannot be read (one line,
            naming the endpoint, no secret).
    """
    settings = (
        config if isinstance(config, ConnectionSettings) else ConnectionSettings.from_config(config)
    )
    endpoint, credential = resolve_credential(settings)
    kwargs: dict[str, t.Any] = dict(client_kwargs)
    if not settings.verify_tls:
        kwargs["connection_verify"] = False
    if meter is not None:
        kwargs["raw_response_hook"] = meter.raw_response_hook
    if user_agent:
        kwargs["user_agent_suffix"] = user_agent
    if pool_size is not None:
        kwargs["transport"] = pooled_transport(pool_size)
    try:
        return CosmosClient(endpoint, credential=credential, **kwargs)
    except CosmosConnectionError:
        raise
    except Exception as exc:
        raise CosmosConnectionError(describe_error(exc, endpoint=endpoint)) from None


def check_connection(client: CosmosClient, database: str) -> DatabaseProxy:
    """Check that ``database`` exists and the credential may read it.

    Args:
        client: A client from :func:`build_client`.
        database: Database name (the ``database`` setting).

    Returns:
        The database proxy.

    Raises:
        CosmosConnectionError: If the database does not exist or cannot be read.
    """
    proxy = client.get_database_client(database)
    try:
        proxy.read()
    except CosmosResourceNotFoundError:
        raise CosmosConnectionError(
            f"Database '{database}' (setting 'database') does not exist at {client.client_connection.url_connection}"
        ) from None
    except CosmosHttpResponseError as exc:
        raise CosmosConnectionError(
            describe_error(exc, endpoint=client.client_connection.url_connection)
        ) from None
    return proxy
