"""The private azure-cosmos code cosmosdb_shared relies on is the code it was written against."""

from __future__ import annotations

import pytest

from cosmosdb_shared.compat import PRIVATE_USES, changed_fingerprints, source_fingerprint


def test_private_uses_unchanged() -> None:
    assert PRIVATE_USES, "the list of private uses must not be empty while ParsePaths is used"
    assert changed_fingerprints(PRIVATE_USES) == {}


def test_a_changed_source_is_reported() -> None:
    assert changed_fingerprints({"azure.cosmos._base.ParsePaths": "0" * 16}) != {}
    assert (
        "missing"
        in changed_fingerprints({"azure.cosmos._base.NoSuchThing": "x"})[
            "azure.cosmos._base.NoSuchThing"
        ]
    )


def test_fingerprint_ignores_nothing_but_trailing_space() -> None:
    def f() -> int:
        return 1

    def g() -> int:
        return 2

    assert source_fingerprint(f) != source_fingerprint(g)
    with pytest.raises(TypeError):
        source_fingerprint(len)
