from __future__ import annotations

import sys

import pytest

from cosmosdb_shared.client import (
    CosmosConnectionError,
    parse_connection_string,
    resolve_credential,
)

KEY = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=="


def test_parse_connection_string_keeps_base64_padding():
    endpoint, key = parse_connection_string(f"AccountEndpoint=https://x:443/;AccountKey={KEY};")
    assert endpoint == "https://x:443/"
    assert key == KEY


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ({"database": "d"}, "'account_endpoint'"),
        ({"account_endpoint": "http://h/", "database": "d"}, "'account_key'"),
        (
            {
                "connection_string": f"AccountEndpoint=http://h/;AccountKey={KEY}",
                "account_key": KEY,
            },
            "contradict",
        ),
        ({"connection_string": "AccountEndpoint=http://h/;"}, "AccountKey"),
        ({"account_endpoint": "http://h/", "account_key": "not base64!"}, "base64"),
        ({"auth_type": "service_principal", "account_endpoint": "http://h/"}, "tenant_id"),
        ({"auth_type": "service_principal"}, "'account_endpoint'"),
        (
            {
                "auth_type": "default_credential",
                "account_endpoint": "http://h/",
                "account_key": KEY,
            },
            "contradict",
        ),
    ],
)
def test_resolve_credential_rejects_bad_combinations(config, fragment):
    with pytest.raises(CosmosConnectionError) as info:
        resolve_credential(config)
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message
    assert KEY not in message


def test_resolve_credential_from_connection_string():
    endpoint, credential = resolve_credential(
        {"connection_string": f"AccountEndpoint=http://h:1/;AccountKey={KEY};"}
    )
    assert (endpoint, credential) == ("http://h:1/", KEY)


def test_service_principal_builds_a_client_secret_credential():
    from azure.identity import ClientSecretCredential

    endpoint, credential = resolve_credential(
        {
            "auth_type": "service_principal",
            "account_endpoint": "https://acct.documents.azure.com:443/",
            "tenant_id": "00000000-0000-0000-0000-000000000000",
            "client_id": "app",
            "client_secret": "s3cret-value",
        }
    )
    assert endpoint == "https://acct.documents.azure.com:443/"
    assert isinstance(credential, ClientSecretCredential)


def test_entra_without_the_extra_names_it(monkeypatch):
    # A missing optional dependency cannot be uninstalled for one test; a None entry in
    # sys.modules makes `import azure.identity` raise ImportError exactly as if it were absent.
    monkeypatch.setitem(sys.modules, "azure.identity", None)
    with pytest.raises(CosmosConnectionError, match="'entra' extra"):
        resolve_credential({"auth_type": "default_credential", "account_endpoint": "https://h/"})
