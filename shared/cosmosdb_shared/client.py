"""Build an ``azure.cosmos.CosmosClient`` from the shared connection settings."""

from __future__ import annotations

import base64
import binascii
import typing as t

from azure.cosmos import CosmosClient
from azure.cosmos.exceptions import CosmosHttpResponseError, CosmosResourceNotFoundError

from cosmosdb_shared.errors import describe_error

if t.TYPE_CHECKING:
    from azure.cosmos import DatabaseProxy

    from cosmosdb_shared.request_charge import RequestChargeMeter


class CosmosConnectionError(Exception):
    """The settings are incomplete or contradictory, or the account cannot be reached.

    The message is one line, names the setting or endpoint at fault, and holds no secret.
    """


def parse_connection_string(value: str) -> tuple[str, str]:
    """Split ``AccountEndpoint=…;AccountKey=…;`` into endpoint and key.

    Source: the connection-string format shown in the Azure portal ("Keys" blade) and accepted by
    ``CosmosClient.from_connection_string`` (``azure/cosmos/cosmos_client.py``).

    Args:
        value: The connection string.

    Returns:
        ``(endpoint, key)``.

    Raises:
        CosmosConnectionError: If either part is missing.
    """
    parts: dict[str, str] = {}
    for part in value.split(";"):
        name, sep, val = part.partition("=")
        if sep:
            parts[name.strip().lower()] = val.strip()
    endpoint = parts.get("accountendpoint")
    key = parts.get("accountkey")
    if not endpoint or not key:
        missing = "AccountEndpoint" if not endpoint else "AccountKey"
        raise CosmosConnectionError(f"Setting 'connection_string' has no {missing}=… part")
    return endpoint, key


def _check_key(key: str, setting: str) -> None:
    try:
        base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        raise CosmosConnectionError(
            f"Setting '{setting}' is not a valid base64 account key"
        ) from None


def resolve_credential(config: t.Mapping[str, t.Any]) -> tuple[str, t.Any]:
    """Work out the endpoint and credential from the settings, without any network I/O.

    Args:
        config: Plugin configuration holding the shared connection settings.

    Returns:
        ``(endpoint, credential)`` where the credential is a master-key string or an
        azure-identity ``TokenCredential``.

    Raises:
        CosmosConnectionError: On a missing, contradictory or malformed combination, naming the
            setting.
    """
    auth_type = config.get("auth_type") or "key"
    endpoint = config.get("account_endpoint")
    if auth_type == "key":
        conn = config.get("connection_string")
        key = config.get("account_key")
        if conn and (endpoint or key):
            raise CosmosConnectionError(
                "Settings 'connection_string' and 'account_endpoint'/'account_key' contradict: "
                "give one form only"
            )
        if conn:
            endpoint, key = parse_connection_string(str(conn))
            _check_key(key, "connection_string")
            return endpoint, key
        if not endpoint:
            raise CosmosConnectionError(
                "Setting 'account_endpoint' (or 'connection_string') is required"
            )
        if not key:
            raise CosmosConnectionError(
                "Setting 'account_key' (or 'connection_string') is required"
            )
        _check_key(str(key), "account_key")
        return str(endpoint), str(key)
    if not endpoint:
        raise CosmosConnectionError(
            f"Setting 'account_endpoint' is required for auth_type {auth_type}"
        )
    if config.get("account_key") or config.get("connection_string"):
        raise CosmosConnectionError(
            f"Settings 'account_key'/'connection_string' contradict auth_type '{auth_type}'"
        )
    if auth_type not in ("service_principal", "default_credential"):
        raise CosmosConnectionError(f"Setting 'auth_type' has unknown value '{auth_type}'")
    if auth_type == "service_principal":
        missing = [n for n in ("tenant_id", "client_id", "client_secret") if not config.get(n)]
        if missing:
            raise CosmosConnectionError(
                f"auth_type 'service_principal' needs setting(s) {', '.join(missing)}"
            )
    try:
        import azure.identity as identity
    except ImportError:
        raise CosmosConnectionError(
            f"auth_type '{auth_type}' needs azure-identity: install the plugin with the "
            "'entra' extra"
        ) from None
    if auth_type == "service_principal":
        credential: t.Any = identity.ClientSecretCredential(
            tenant_id=config["tenant_id"],
            client_id=config["client_id"],
            client_secret=config["client_secret"],
        )
        return str(endpoint), credential
    return str(endpoint), identity.DefaultAzureCredential()


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
    config: t.Mapping[str, t.Any],
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
        config: Plugin configuration holding the shared connection settings.
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
    endpoint, credential = resolve_credential(config)
    kwargs: dict[str, t.Any] = dict(client_kwargs)
    if not config.get("verify_tls", True):
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
