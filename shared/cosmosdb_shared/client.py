"""Build an ``azure.cosmos.CosmosClient`` from the shared connection settings."""

from __future__ import annotations

import typing as t
from urllib.parse import urlsplit

import requests
from azure.cosmos import CosmosClient
from azure.cosmos.exceptions import CosmosHttpResponseError, CosmosResourceNotFoundError
from urllib3.util.retry import Retry

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


#: Bytes asked of urllib3 per read of a response body. requests reads a body that is not
#: streamed 10 KiB at a time (``requests.models.Response.content``); a change-feed or query
#: page of 1,000 items is 0.5-1 MB, so each page costs ~60-100 reads, each a few Python calls
#: deep in urllib3 and http.client. Cosmos DB response bodies are a few MB at most.
BODY_READ_BYTES = 1 << 20

#: Connections kept per host by default (requests' own default pool size).
DEFAULT_POOL_SIZE = 10


class LargeReads:
    """A urllib3 response whose body is read at least :data:`BODY_READ_BYTES` at a time.

    requests' ``HTTPAdapter.build_response`` puts the urllib3 response in ``Response.raw``
    (public); ``Response.content`` then joins ``raw.stream(10 KiB)``. This wrapper raises the
    size asked of ``stream`` and passes every other attribute through, so what requests,
    azure-core (``raw.enforce_content_length``, ``raw.stream`` when downloading) and urllib3's
    connection release see is the wrapped response.

    Args:
        response: The ``urllib3.response.HTTPResponse``.
    """

    __slots__ = ("_response",)

    def __init__(self, response: t.Any) -> None:
        object.__setattr__(self, "_response", response)

    def stream(self, amt: int | None = None, decode_content: bool | None = None) -> t.Any:
        """``HTTPResponse.stream``, with ``amt`` raised to :data:`BODY_READ_BYTES`."""
        size = BODY_READ_BYTES if amt is None else max(amt, BODY_READ_BYTES)
        return self._response.stream(size, decode_content=decode_content)

    def __getattr__(self, name: str) -> t.Any:
        return getattr(self._response, name)

    def __setattr__(self, name: str, value: t.Any) -> None:
        setattr(self._response, name, value)


class LargeReadAdapter(requests.adapters.HTTPAdapter):
    """A requests ``HTTPAdapter`` whose responses read their bodies in large chunks.

    ``HTTPAdapter.build_response`` is requests' documented extension point for subclasses; the
    response's ``raw`` becomes :class:`LargeReads`.
    """

    def build_response(self, req: t.Any, resp: t.Any) -> requests.Response:
        """Build the response as requests does, then wrap ``raw`` (see :class:`LargeReads`)."""
        response = super().build_response(req, resp)
        response.raw = LargeReads(resp)
        return response


class _NoAuth(requests.auth.AuthBase):
    """Leaves a request as it is: stands for "no ``~/.netrc`` entry for this host"."""

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        return r


class EnvironmentOnceSession(requests.Session):
    """A ``requests.Session`` that reads the environment once per host, not on every request.

    With ``trust_env`` (the default) requests looks up ``~/.netrc`` in ``prepare_request`` and
    the proxy variables, ``NO_PROXY`` and ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` in
    ``merge_environment_settings`` for every request, a stat of ``~/.netrc`` and a scan of
    ``os.environ`` each time. Both are public ``Session`` methods; here their answers are kept
    per scheme and host (and per arguments), so the settings honoured are the same, read once
    per run. A variable changed while the process runs is not seen.
    """

    def __init__(self) -> None:
        super().__init__()
        self._netrc: dict[tuple[str, str], t.Any] = {}
        self._environment: dict[tuple[t.Any, ...], dict[str, t.Any]] = {}

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        """``Session.prepare_request``, with the ``~/.netrc`` answer for the host kept."""
        if self.trust_env and not request.auth and not self.auth:
            parts = urlsplit(str(request.url))
            key = (parts.scheme, parts.netloc)
            auth = self._netrc.get(key)
            if auth is None:
                auth = requests.utils.get_netrc_auth(str(request.url)) or _NoAuth()
                self._netrc[key] = auth
            request.auth = auth
        return super().prepare_request(request)

    def merge_environment_settings(
        self,
        url: t.Any,
        proxies: t.Any,
        stream: t.Any,
        verify: t.Any,
        cert: t.Any,
    ) -> dict[str, t.Any]:
        """``Session.merge_environment_settings``, kept per scheme, host and arguments."""
        parts = urlsplit(str(url))
        given = tuple(sorted(proxies.items())) if proxies else None
        key = (parts.scheme, parts.netloc, given, stream, verify, cert)
        try:
            settings = self._environment.get(key)
        except TypeError:  # an unhashable argument: not kept
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        if settings is None:
            settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
            self._environment[key] = settings
        settings = dict(settings)
        if settings["proxies"] is not None:
            settings["proxies"] = settings["proxies"].copy()  # the caller's to change
        return settings


def pooled_transport(pool_size: int = DEFAULT_POOL_SIZE) -> t.Any:
    """Return an azure-core requests transport whose connection pool holds ``pool_size``.

    azure-core's ``RequestsTransport`` accepts a ``requests.Session`` (its public ``session``
    keyword); the session gets an adapter like azure-core's own (urllib3 retries off: the
    pipeline and the callers retry) with ``pool_maxsize`` raised, so that many threads sharing
    one client each keep their connection, response bodies read :data:`BODY_READ_BYTES` at a
    time (:class:`LargeReads`), and the environment is read once per host
    (:class:`EnvironmentOnceSession`).

    Args:
        pool_size: Connections kept per host (at least 1).

    Returns:
        A ``RequestsTransport`` for ``CosmosClient(transport=...)``.
    """
    from azure.core.pipeline.transport import RequestsTransport

    session = EnvironmentOnceSession()
    adapter = LargeReadAdapter(
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
            requests' default of 10, which discards connections with a ``Connection pool is
            full`` warning when more threads than that share the client.
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
    if "transport" not in kwargs:
        kwargs["transport"] = pooled_transport(
            DEFAULT_POOL_SIZE if pool_size is None else pool_size
        )
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
