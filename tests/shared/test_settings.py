from __future__ import annotations

import pytest
from singer_sdk import typing as th

from cosmosdb_shared.settings import (
    SECRET_SETTINGS,
    ConnectionSettings,
    CosmosConnectionError,
    bool_setting,
    choice_setting,
    connection_properties,
    float_setting,
    int_setting,
    secret_values,
)
from tests.shared.settings_check import default_mismatches


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


# Typed connection settings -------------------------------------------------------------------

KEY = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=="


def test_connection_settings_defaults_match_the_properties():
    schema = th.PropertiesList(*connection_properties()).to_dict()
    assert default_mismatches(ConnectionSettings, schema) == []


def test_default_check_notices_a_difference():
    schema = th.PropertiesList(*connection_properties()).to_dict()
    schema["properties"]["verify_tls"]["default"] = False
    schema["properties"]["tenant_id"]["default"] = "t"
    problems = default_mismatches(ConnectionSettings, schema)
    assert [p.split(":")[0] for p in problems] == ["verify_tls", "tenant_id"]


def test_connection_settings_parse_once_and_hide_secrets():
    settings = ConnectionSettings.from_config(
        {"database": "db", "account_endpoint": "http://h:1/", "account_key": KEY}
    )
    assert (settings.database, settings.verify_tls, settings.auth_type) == ("db", True, "key")
    assert settings.endpoint_and_key() == ("http://h:1/", KEY)
    assert KEY not in repr(settings)
    unverified = ConnectionSettings.from_config(
        {
            "database": "db",
            "connection_string": f"AccountEndpoint=http://h/;AccountKey={KEY}",
            "verify_tls": "false",
        }
    )
    assert unverified.verify_tls is False
    assert KEY not in repr(unverified)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"database": "d"}, "Setting 'account_endpoint' (or 'connection_string') is required"),
        (
            {
                "database": "d",
                "account_endpoint": "http://h/",
                "account_key": KEY,
                "verify_tls": "maybe",
            },
            "Setting 'verify_tls' must be true or false, not 'maybe'",
        ),
        (
            {"database": "d", "auth_type": "nope", "account_endpoint": "http://h/"},
            "Setting 'auth_type' has unknown value 'nope'",
        ),
    ],
)
def test_connection_settings_refuse_with_one_line(config, message):
    with pytest.raises(CosmosConnectionError) as info:
        ConnectionSettings.from_config(config)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, 7), ("", 7), (3, 3), ("12", 12), (4.0, 4)],
)
def test_int_setting_values(value, expected):
    assert int_setting({"n": value}, "n", 7) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "Setting 'n' must be an integer, not True"),
        (2.5, "Setting 'n' must be an integer, not 2.5"),
        ("two", "Setting 'n' must be an integer, not 'two'"),
        (0, "Setting 'n' must be at least 1, not 0"),
        (99, "Setting 'n' must be at most 10, not 99"),
    ],
)
def test_int_setting_errors_name_the_setting(value, message):
    with pytest.raises(ValueError) as info:
        int_setting({"n": value}, "n", 7, minimum=1, maximum=10)
    assert str(info.value) == message


def test_float_bool_and_choice_settings():
    assert float_setting({}, "x", None) is None
    assert float_setting({"x": "1.5"}, "x", None) == 1.5
    assert float_setting({}, "x", 30) == 30
    with pytest.raises(ValueError, match=r"^Setting 'x' must be at least 0, not -1.0$"):
        float_setting({"x": -1}, "x", None, minimum=0)
    assert bool_setting({"b": "True"}, "b", False) is True
    assert bool_setting({}, "b", False) is False
    assert choice_setting({}, "c", "a", ("a", "b")) == "a"
    with pytest.raises(ValueError, match=r"^Setting 'c' must be one of a, b, not 'z'$"):
        choice_setting({"c": "z"}, "c", "a", ("a", "b"))
