"""The shared command-line shell: one redacted line on stderr and a non-zero exit."""

from __future__ import annotations

import logging

import pytest

from cosmosdb_shared.cli import CommandShell, one_line, quiet_azure_logging

KEY = "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seQ=="


def test_fail_prints_one_redacted_line_and_exits(capsys) -> None:
    shell = CommandShell("tap-x")
    shell.protect({"account_key": KEY})
    with pytest.raises(SystemExit) as exit_info:
        shell.fail(f"could not connect\n  with key {KEY}\n", 3)
    assert exit_info.value.code == 3
    err = capsys.readouterr().err
    assert err == "tap-x: error: could not connect with key ***\n"


def test_fail_before_protect_still_one_line(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        CommandShell("target-x").fail("Setting 'a':\tbad")
    assert exit_info.value.code == 1
    assert capsys.readouterr().err == "target-x: error: Setting 'a': bad\n"


def test_redaction_reaches_log_records(caplog) -> None:
    shell = CommandShell("t")
    shell.protect({"account_key": KEY})
    logger = logging.getLogger("cosmosdb-test-cli")
    with caplog.at_level(logging.INFO):
        logger.info("key is %s", KEY)
    assert KEY not in caplog.text


def test_quiet_azure_logging_keeps_a_level_the_user_set() -> None:
    azure = logging.getLogger("azure")
    before = azure.level
    try:
        azure.setLevel(logging.DEBUG)
        quiet_azure_logging()
        assert azure.level == logging.DEBUG
        azure.setLevel(logging.NOTSET)
        quiet_azure_logging()
        assert azure.level == logging.WARNING
    finally:
        azure.setLevel(before)


def test_one_line() -> None:
    assert one_line("  a\n\tb  c \n") == "a b c"
