"""Connection settings accepted by both tap-cosmosdb and target-cosmosdb.

The settings are a JSON-schema fragment built with singer-sdk's typing helpers, so each plugin
adds them to its own ``config_jsonschema`` and they appear in ``--about``.
"""

from __future__ import annotations

import typing as t

from singer_sdk import typing as th

#: Setting names whose values are secrets and must never reach a log or an error message.
SECRET_SETTINGS: tuple[str, ...] = ("account_key", "connection_string", "client_secret")

AUTH_TYPES: tuple[str, ...] = ("key", "service_principal", "default_credential")


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
            default=True,
            description=(
                "Verify the server's TLS certificate. Set false only for an emulator with a "
                "self-signed certificate."
            ),
        ),
        th.Property(
            "auth_type",
            th.StringType,
            default="key",
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
