"""Unit tests for continuation-token decoding and repair (pure, no emulator)."""

from __future__ import annotations

import base64
import json

import pytest
from azure.cosmos._change_feed.change_feed_state import ChangeFeedStateV2

from tap_cosmosdb.continuation import (
    ContinuationError,
    check_token,
    decode_token,
    encode_token,
    is_resumable,
    repair_token,
    token_range,
)

RANGE = {
    "min": "",
    "max": "40000000000000000000000000000000",
    "isMinInclusive": True,
    "isMaxInclusive": False,
}


def make_token(start_from: dict, tokens=('"12"',), rid="abc=", outer=RANGE) -> str:
    pairs = [{"token": tok, "range": dict(outer)} for tok in tokens]
    data = {
        "v": "v2",
        "containerRid": rid,
        "mode": "LatestVersion",
        "startFrom": start_from,
        "continuation": {"v": "v2", "rid": rid, "continuation": pairs, "Range": dict(outer)},
    }
    return base64.b64encode(json.dumps(data).encode()).decode()


def positions(data: dict) -> list[tuple[str, dict]]:
    """The (etag, range) pairs of a decoded token: where each range resumes."""
    return [(pair["token"], pair["range"]) for pair in data["continuation"]["continuation"]]


def parse_with_sdk(token: str) -> ChangeFeedStateV2:
    """Parse a token the way azure-cosmos does when resuming (ChangeFeedStateV2.from_continuation)."""
    return ChangeFeedStateV2.from_continuation("dbs/d/colls/c", "abc=", decode_token(token))


def test_point_in_time_token_breaks_the_sdk_and_repair_fixes_it():
    token = make_token({"Type": "PointInTime", "PointInTimeMs": 1_700_000_000_000})
    # The upstream defect (azure-sdk-for-python#43018): milliseconds passed to fromtimestamp.
    with pytest.raises((ValueError, OverflowError, OSError)):
        parse_with_sdk(token)
    repaired = repair_token(token)
    assert decode_token(repaired)["startFrom"] == {"Type": "Beginning"}
    state = parse_with_sdk(repaired)
    assert state is not None
    # Positions are unchanged.
    assert positions(decode_token(repaired)) == positions(decode_token(token))


def test_now_start_is_rewritten_and_beginning_token_is_returned_unchanged():
    now = make_token({"Type": "Now"})
    assert decode_token(repair_token(now))["startFrom"] == {"Type": "Beginning"}
    beginning = make_token({"Type": "Beginning"})
    assert repair_token(beginning) == beginning


def test_token_with_null_position_is_not_stored():
    token = make_token({"Type": "Beginning"}, tokens=('"3"', None))
    assert not is_resumable(decode_token(token))
    with pytest.raises(ContinuationError):
        repair_token(token)


def test_check_token_rejects_other_container_and_other_range():
    token = make_token({"Type": "Beginning"})
    assert token_range(check_token(token, container_rid="abc=", feed_range=("", RANGE["max"])))
    with pytest.raises(ContinuationError, match="container rid"):
        check_token(token, container_rid="zzz=", feed_range=None)
    with pytest.raises(ContinuationError, match="covers range"):
        check_token(token, container_rid="abc=", feed_range=("", "FF"))


@pytest.mark.parametrize("bad", ["not base64!!", base64.b64encode(b"[1,2]").decode(), ""])
def test_garbage_tokens_raise_one_line_error(bad):
    with pytest.raises(ContinuationError) as info:
        decode_token(bad)
    assert "\n" not in str(info.value)


def test_encode_decode_round_trip():
    data = decode_token(make_token({"Type": "Beginning"}, tokens=('"5"', '"9"')))
    assert decode_token(encode_token(data)) == data
