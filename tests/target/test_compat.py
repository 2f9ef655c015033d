"""The private singer-sdk / azure-cosmos code target-cosmosdb relies on is the code it was written
against, and no module but ``target_cosmosdb.compat`` touches private library names."""

from __future__ import annotations

import re
from pathlib import Path

import target_cosmosdb
from cosmosdb_shared.compat import changed_fingerprints, resolve
from target_cosmosdb import compat

PACKAGE = Path(target_cosmosdb.__file__).parent

#: A private name of singer-sdk or azure-cosmos, imported or reached as an attribute.
PRIVATE_IMPORT = re.compile(r"(?:singer_sdk|azure\.cosmos)(?:\.\w+)*\._\w+|import _\w+")
#: The private singer-sdk members compat.py wraps (an override or a call elsewhere bypasses it).
PRIVATE_MEMBERS = re.compile(
    r"\b_(?:drain_all|write_state_message|handle_termination|process_batch_message|"
    r"process_record_message|sinks_active|sinks_to_clear|validate_and_parse|validator|"
    r"remove_sdc_metadata_from_record|parse_timestamps_in_record|current_message|"
    r"ConfigInput|retry_options)\b"
)


def test_private_uses_unchanged() -> None:
    assert len(compat.PRIVATE_USES) >= 10
    assert changed_fingerprints(compat.PRIVATE_USES) == {}


def test_every_private_use_resolves_and_a_change_is_caught() -> None:
    for dotted in compat.PRIVATE_USES:
        assert resolve(dotted) is not None
    tampered = dict(compat.PRIVATE_USES)
    tampered["singer_sdk.target_base.Target._drain_all"] = "0" * 16
    assert list(changed_fingerprints(tampered)) == ["singer_sdk.target_base.Target._drain_all"]


def test_no_private_library_name_outside_compat() -> None:
    offenders = []
    for path in sorted(PACKAGE.glob("*.py")):
        if path.name == "compat.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if PRIVATE_IMPORT.search(line) or PRIVATE_MEMBERS.search(line):
                offenders.append(f"{path.name}:{number}: {line.strip()}")
    assert offenders == []


def test_compat_names_every_private_member_it_overrides() -> None:
    source = Path(compat.__file__).read_text()
    for name in ("_drain_all", "_write_state_message", "_handle_termination", "_process_batch_message"):  # fmt: skip
        assert f"singer_sdk.target_base.Target.{name}" in compat.PRIVATE_USES
        assert f"def {name}(" in source
    for name in ("_validate_and_parse", "_remove_sdc_metadata_from_record", "_parse_timestamps_in_record"):  # fmt: skip
        assert f"singer_sdk.sinks.core.Sink.{name}" in compat.PRIVATE_USES
        assert f"def {name}(" in source
    assert "azure.cosmos._retry_options.RetryOptions" in compat.PRIVATE_USES


def test_throttle_free_policy_turns_sdk_throttle_retries_off() -> None:
    options = compat.throttle_free_policy().RetryOptions
    assert options.MaxRetryAttemptCount == 0
    assert options.MaxWaitTimeInSeconds == 0
