"""Connection settings accepted by both tap-cosmosdb and target-cosmosdb.

Each setting is declared twice, side by side, in this module: as a singer-sdk property (so each
plugin adds it to its ``config_jsonschema`` and it appears in ``--about``) and as a field of
:class:`ConnectionSettings`, the typed, validated object the rest of the code reads. A field's
default is the property's ``default`` (``tests/shared/test_settings.py`` fails if they differ).
The helpers :func:`setting`, :func:`int_setting`, :func:`float_setting` and
:func:`bool_setting` parse one value each, with a one-line error naming the setting; the
plugins' own settings modules (``tap_cosmosdb.settings``, ``target_cosmosdb.settings``) use them.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import typing as t

from singer_sdk import typing as th

#: Setting names whose values are secrets and must never reach a log or an error message.
SECRET_SETTINGS: tuple[str, ...] = ("account_key", "connection_string", "client_secret")

AUTH_TYPES: tuple[str, ...] = ("key", "service_principal", "default_credential")


class CosmosConnectionError(Exception):
    """The settings are incomplete or contradictory, or the account cannot be reached.

    The message is one line, names the setting or endpoint at fault, and holds no secret.
    """


def setting(config: t.Mapping[str, t.Any], name: str, default: t.Any = None) -> t.Any:
    """Return setting ``name``, or ``default`` when it is absent, null or an empty string.

    Args:
        config: The plugin configuration (after singer-sdk's JSON-schema validation).
        name: The setting.
        default: The value of an unset setting.

    Returns:
        The raw value.
    """
    value = config.get(name)
    return default if value is None or value == "" else value


def int_setting(
    config: t.Mapping[str, t.Any],
    name: str,
    default: int,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    error: type[Exception] = ValueError,
) -> int:
    """Parse an integer setting (an integral number, or its decimal text).

    Args:
        config: The plugin configuration.
        name: The setting.
        default: The value when unset.
        minimum: Smallest value allowed.
        maximum: Largest value allowed.
        error: Exception class raised on a bad value (one line naming the setting).

    Returns:
        The value.

    Raises:
        Exception: ``error``, if the value is not an integer or is out of range.
    """
    value = setting(config, name, default)
    if isinstance(value, bool):
        raise error(f"Setting '{name}' must be an integer, not {value!r}")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise error(f"Setting '{name}' must be an integer, not {value!r}") from None
    if isinstance(value, float) and number != value:
        raise error(f"Setting '{name}' must be an integer, not {value!r}")
    _check_range(name, number, minimum, maximum, error)
    return number


@t.overload
def float_setting(
    config: t.Mapping[str, t.Any],
    name: str,
    default: float,
    *,
    minimum: float | None = None,
    error: type[Exception] = ValueError,
) -> float: ...


@t.overload
def float_setting(
    config: t.Mapping[str, t.Any],
    name: str,
    default: None,
    *,
    minimum: float | None = None,
    error: type[Exception] = ValueError,
) -> float | None: ...


def float_setting(
    config: t.Mapping[str, t.Any],
    name: str,
    default: float | None,
    *,
    minimum: float | None = None,
    error: type[Exception] = ValueError,
) -> float | None:
    """Parse a number setting.

    Args:
        config: The plugin configuration.
        name: The setting.
        default: The value when unset (None: the setting has no default).
        minimum: Smallest value allowed.
        error: Exception class raised on a bad value (one line naming the setting).

    Returns:
        The value, or ``default`` when unset.

    Raises:
        Exception: ``error``, if the value is not a number or is below ``minimum``.
    """
    value = setting(config, name, default)
    if value is None:
        return None
    if isinstance(value, bool):
        raise error(f"Setting '{name}' must be a number, not {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise error(f"Setting '{name}' must be a number, not {value!r}") from None
    _check_range(name, number, minimum, None, error)
    return number


def bool_setting(
    config: t.Mapping[str, t.Any],
    name: str,
    default: bool,
    *,
    error: type[Exception] = ValueError,
) -> bool:
    """Parse a boolean setting (``true``/``false``, also as text from an environment variable).

    Args:
        config: The plugin configuration.
        name: The setting.
        default: The value when unset.
        error: Exception class raised on a bad value (one line naming the setting).

    Returns:
        The value.

    Raises:
        Exception: ``error``, if the value is neither a boolean nor ``true``/``false`` text.
    """
    value = setting(config, name, default)
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise error(f"Setting '{name}' must be true or false, not {value!r}")


def choice_setting(
    config: t.Mapping[str, t.Any],
    name: str,
    default: str,
    allowed: t.Sequence[str],
    *,
    error: type[Exception] = ValueError,
) -> str:
    """Parse a setting that takes one of a few words.

    Args:
        config: The plugin configuration.
        name: The setting.
        default: The value when unset.
        allowed: The values allowed.
        error: Exception class raised on a bad value (one line naming the setting).

    Returns:
        The value.

    Raises:
        Exception: ``error``, if the value is not one of ``allowed``.
    """
    value = str(setting(config, name, default))
    if value not in allowed:
        raise error(f"Setting '{name}' must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _check_range(
    name: str,
    number: float,
    minimum: float | None,
    maximum: float | None,
    error: type[Exception],
) -> None:
    if minimum is not None and number < minimum:
        raise error(f"Setting '{name}' must be at least {minimum}, not {number}")
    if maximum is not None and number > maximum:
        raise error(f"Setting '{name}' must be at most {maximum}, not {number}")


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


def _check_key(key: str, setting_name: str) -> None:
    try:
        base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        raise CosmosConnectionError(
            f"Setting '{setting_name}' is not a valid base64 account key"
        ) from None


@dataclasses.dataclass(frozen=True)
class ConnectionSettings:
    """The connection settings, parsed and checked once (see :meth:`from_config`).

    Secrets are left out of ``repr``. Each attribute is the setting of the same name.

    Attributes:
        database: Database name (required).
        account_endpoint: Account URI, or None when given by ``connection_string``.
        account_key: Master key (base64), or None.
        connection_string: ``AccountEndpoint=…;AccountKey=…;``, or None.
        verify_tls: Verify the server's TLS certificate.
        auth_type: One of :data:`AUTH_TYPES`.
        tenant_id: Entra ID tenant (``service_principal``).
        client_id: Entra ID application id (``service_principal``).
        client_secret: Entra ID client secret (``service_principal``).
    """

    database: str
    account_endpoint: str | None = None
    account_key: str | None = dataclasses.field(default=None, repr=False)
    connection_string: str | None = dataclasses.field(default=None, repr=False)
    verify_tls: bool = True
    auth_type: str = "key"
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret: str | None = dataclasses.field(default=None, repr=False)

    @classmethod
    def from_config(cls, config: t.Mapping[str, t.Any]) -> ConnectionSettings:
        """Parse the connection settings and check that they go together (no network I/O).

        Args:
            config: The plugin configuration (after singer-sdk's JSON-schema validation).

        Returns:
            The settings.

        Raises:
            CosmosConnectionError: On a missing, contradictory or malformed combination (one
                line naming the setting, no secret).
        """

        def text(name: str) -> str | None:
            value = setting(config, name)
            return None if value is None else str(value)

        settings = cls(
            database=str(setting(config, "database", "")),
            account_endpoint=text("account_endpoint"),
            account_key=text("account_key"),
            connection_string=text("connection_string"),
            verify_tls=bool_setting(
                config, "verify_tls", cls.verify_tls, error=CosmosConnectionError
            ),
            auth_type=str(setting(config, "auth_type", cls.auth_type)),
            tenant_id=text("tenant_id"),
            client_id=text("client_id"),
            client_secret=text("client_secret"),
        )
        settings.endpoint_and_key()
        return settings

    def endpoint_and_key(self) -> tuple[str, str | None]:
        """Return the account endpoint and, for ``auth_type: key``, the master key.

        Returns:
            ``(endpoint, key)``; ``key`` is None for the Entra ID ``auth_type`` values.

        Raises:
            CosmosConnectionError: On a missing, contradictory or malformed combination, naming
                the setting.
        """
        endpoint = self.account_endpoint
        if self.auth_type == "key":
            conn, key = self.connection_string, self.account_key
            if conn and (endpoint or key):
                raise CosmosConnectionError(
                    "Settings 'connection_string' and 'account_endpoint'/'account_key' "
                    "contradict: give one form only"
                )
            if conn:
                endpoint, key = parse_connection_string(conn)
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
            _check_key(key, "account_key")
            return endpoint, key
        if not endpoint:
            raise CosmosConnectionError(
                f"Setting 'account_endpoint' is required for auth_type {self.auth_type}"
            )
        if self.account_key or self.connection_string:
            raise CosmosConnectionError(
                f"Settings 'account_key'/'connection_string' contradict auth_type "
                f"'{self.auth_type}'"
            )
        if self.auth_type not in AUTH_TYPES:
            raise CosmosConnectionError(f"Setting 'auth_type' has unknown value '{self.auth_type}'")
        if self.auth_type == "service_principal":
            missing = [
                name
                for name in ("tenant_id", "client_id", "client_secret")
                if not getattr(self, name)
            ]
            if missing:
                raise CosmosConnectionError(
                    f"auth_type 'service_principal' needs setting(s) {', '.join(missing)}"
                )
        return endpoint, None


def connection_properties() -> list[th.Property]:
    """Return the connection settings as new singer-sdk properties.

    A fresh list is returned on each call so that a plugin can extend it freely.

    Returns:
        The properties ``account_endpoint``, ``account_key``, ``connection_string``, ``database``,
        ``verify_tls``, ``auth_type``, ``tenant_id``, ``client_id`` and ``client_secret``.
    """
    return [
        th.Property(
            "account_endpoint",
            th.StringType,
            description=(
                "Account URI, e.g. `https://myaccount.documents.azure.com:443/` or "
                "`http://127.0.0.1:8081/` for the local emulator. Not needed with "
                "`connection_string`."
            ),
        ),
        th.Property(
            "account_key",
            th.StringType,
            secret=True,
            description="Primary or secondary account key (base64). Used with `auth_type: key`.",
        ),
        th.Property(
            "connection_string",
            th.StringType,
            secret=True,
            description=(
                "`AccountEndpoint=…;AccountKey=…;` as shown in the Azure portal. An alternative to "
                "`account_endpoint` plus `account_key`; giving both forms is an error."
            ),
        ),
        th.Property(
            "database",
            th.StringType,
            required=True,
            description="Name of the Cosmos DB database (NoSQL API).",
        ),
        th.Property(
            "verify_tls",
            th.BooleanType,
            default=ConnectionSettings.verify_tls,
            description=(
                "Verify the server's TLS certificate. Set false only for an emulator with a "
                "self-signed certificate."
            ),
        ),
        th.Property(
            "auth_type",
            th.StringType,
            default=ConnectionSettings.auth_type,
            allowed_values=list(AUTH_TYPES),
            description=(
                "`key` (account key or connection string), `service_principal` "
                "(Microsoft Entra ID app: `tenant_id`, `client_id`, `client_secret`) or "
                "`default_credential` (azure-identity's DefaultAzureCredential chain). The Entra "
                "options need the plugin's `entra` extra (`tap-cosmosdb[entra]`, "
                "`target-cosmosdb[entra]`)."
            ),
        ),
        th.Property(
            "tenant_id", th.StringType, description="Entra ID tenant for service_principal."
        ),
        th.Property("client_id", th.StringType, description="Entra ID application (client) id."),
        th.Property(
            "client_secret",
            th.StringType,
            secret=True,
            description="Entra ID client secret for `auth_type: service_principal`.",
        ),
    ]


def secret_values(config: t.Mapping[str, t.Any]) -> list[str]:
    """Return the secret values present in ``config``, for log redaction.

    The account key parsed out of a connection string is included as well.

    Args:
        config: The plugin configuration.

    Returns:
        Non-empty secret strings, longest first (so that redaction replaces the longest match).
    """
    values = [str(config[name]) for name in SECRET_SETTINGS if config.get(name)]
    conn = config.get("connection_string")
    if conn:
        for part in str(conn).split(";"):
            key, _, value = part.partition("=")
            if key.strip().lower() == "accountkey" and value:
                values.append(value.strip())
    return sorted({v for v in values if v}, key=len, reverse=True)
