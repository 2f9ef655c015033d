from __future__ import annotations

from singer_sdk import typing as th

from cosmosdb_shared.settings import SECRET_SETTINGS, connection_properties, secret_values


def test_connection_properties_mark_secrets_and_require_database():
    schema = th.PropertiesList(*connection_properties()).to_dict()
    props = schema["properties"]
    assert set(SECRET_SETTINGS) <= set(props)
    for name in SECRET_SETTINGS:
        assert props[name].get("secret") is True, name
    assert props["verify_tls"]["default"] is True
    assert schema["required"] == ["database"]


def test_connection_properties_are_fresh_each_call():
    first = connection_properties()
    first.pop()
    assert len(connection_properties()) == len(first) + 1


def test_secret_values_include_key_inside_connection_string():
    config = {
        "connection_string": "AccountEndpoint=https://a.documents.azure.com:443/;AccountKey=c2VjcmV0a2V5==;",
        "client_secret": "s3cr3t-value",
        "database": "db",
    }
    secrets = secret_values(config)
    assert "c2VjcmV0a2V5==" in secrets
    assert "s3cr3t-value" in secrets
    assert config["connection_string"] in secrets
    assert "db" not in secrets
    assert secrets == sorted(secrets, key=len, reverse=True)
