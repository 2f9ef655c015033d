r"""Decode, check and repair azure-cosmos change-feed continuation tokens.

A change-feed continuation token, as returned by ``by_page().continuation_token`` (or the
``etag`` in ``client_connection.last_response_headers``) of azure-cosmos 4.17.1, is base64 of
JSON (``azure/cosmos/_change_feed/change_feed_state.py:ChangeFeedStateV2.to_dict``)::

    {"v": "v2", "containerRid": "pTHz+5hpWM0=", "mode": "LatestVersion",
     "startFrom": {"Type": "Beginning"},
     "continuation": {"v": "v2", "rid": "pTHz+5hpWM0=",
        "continuation": [{"token": "\\"20\\"", "range": {"min": "", "max": "10…", ...}}, ...],
        "Range": {"min": "", "max": "20…", "isMinInclusive": true, "isMaxInclusive": false}}}

Each ``continuation[]`` pair holds the server's etag (the LSN position) for one physical range;
after a split the pair of the parent range is replaced by one pair per child
(``feed_range_composite_continuation_token.py:handle_feed_range_gone``).

Two SDK defects are guarded here:

* A token whose ``startFrom`` is ``PointInTime`` cannot be parsed again:
  ``ChangeFeedStartFromPointInTime.from_json`` passes milliseconds to
  ``datetime.fromtimestamp`` (azure-sdk-for-python issue 43018). Once every pair has an etag the
  start point no longer matters, so :func:`repair_token` rewrites it to ``Beginning``.
* A pair whose ``token`` is null makes ``CompositeContinuationToken.from_json`` raise; such tokens
  are never stored (:func:`is_resumable`).
"""

from __future__ import annotations

import base64
import binascii
import json
import typing as t

from tap_cosmosdb.feed_range import epk_upper

BEGINNING: dict[str, str] = {"Type": "Beginning"}


class ContinuationError(ValueError):
    """A continuation token cannot be decoded or does not belong where it was found."""


def decode_token(token: str) -> dict[str, t.Any]:
    """Decode a v2 change-feed continuation token.

    Args:
        token: The base64 token string.

    Returns:
        The decoded JSON object (see the module docstring for its shape).

    Raises:
        ContinuationError: If the token is not base64 JSON of a v2 change-feed state.
    """
    try:
        data = json.loads(base64.b64decode(token.encode("ascii"), validate=True))
    except (binascii.Error, ValueError, UnicodeError):
        raise ContinuationError("continuation token is not base64-encoded JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("continuation"), dict):
        raise ContinuationError("continuation token is not a v2 change-feed state")
    pairs = data["continuation"].get("continuation")
    if not isinstance(pairs, list):
        raise ContinuationError("continuation token has no per-range positions")
    return data


def encode_token(data: t.Mapping[str, t.Any]) -> str:
    """Encode a change-feed state the way the SDK does (``_get_base64_encoded_continuation``).

    Args:
        data: The decoded token.

    Returns:
        The base64 token string.
    """
    return base64.b64encode(json.dumps(data).encode("utf-8")).decode("ascii")


def is_resumable(data: t.Mapping[str, t.Any]) -> bool:
    """Tell whether every per-range position of a decoded token carries an etag.

    Args:
        data: A decoded token.

    Returns:
        False when any pair has a null or missing ``token`` (the SDK would refuse to parse it).
    """
    pairs = data["continuation"]["continuation"]
    return bool(pairs) and all(pair.get("token") is not None for pair in pairs)


def token_range(data: t.Mapping[str, t.Any]) -> tuple[str, str] | None:
    """Return the EPK range a decoded token covers.

    Args:
        data: A decoded token.

    Returns:
        ``(min, max)`` as EPK hex strings (min inclusive, max exclusive), or None for a token
        scoped to a partition key (``"PK"`` instead of ``"Range"``).
    """
    outer = data["continuation"].get("Range")
    if not isinstance(outer, dict):
        return None
    return str(outer.get("min", "")), str(outer.get("max", ""))


def repair_token(token: str) -> str:
    """Make a token safe to store: rewrite its ``startFrom`` to ``Beginning``.

    Every per-range position already carries an etag, and the SDK sends ``If-None-Match: <etag>``
    whenever a position has one, so the start point is never consulted again; rewriting it avoids
    the point-in-time parsing defect (azure-sdk-for-python issue 43018) and keeps stored tokens
    uniform.

    Args:
        token: A token from the SDK.

    Returns:
        The token with ``startFrom`` = ``{"Type": "Beginning"}``, re-encoded.

    Raises:
        ContinuationError: If the token cannot be decoded or has a position without an etag.
    """
    data = decode_token(token)
    if not is_resumable(data):
        raise ContinuationError("continuation token has a range position without an etag")
    if data.get("startFrom") == BEGINNING:
        return token
    data["startFrom"] = dict(BEGINNING)
    return encode_token(data)


def check_token(
    token: str, *, container_rid: str | None, feed_range: tuple[str, str] | None
) -> dict[str, t.Any]:
    """Check that a stored or freshly read token belongs to this container and feed range.

    Args:
        token: The token.
        container_rid: The container's ``_rid``; None to skip the check.
        feed_range: ``(min, max)`` EPK bounds the token must cover; None to skip the check.

    Returns:
        The decoded token.

    Raises:
        ContinuationError: On a decode failure, a container mismatch or a range mismatch, with a
            one-line reason.
    """
    data = decode_token(token)
    rid = data.get("containerRid")
    if container_rid is not None and rid != container_rid:
        raise ContinuationError(
            f"continuation token belongs to container rid {rid!r}, not {container_rid!r}"
        )
    if feed_range is not None:
        found = token_range(data)
        if found != tuple(feed_range):
            raise ContinuationError(
                f"continuation token covers range {found!r}, expected {tuple(feed_range)!r}"
            )
    return data


def clamp_token(token: str) -> tuple[str, bool]:
    """Intersect every per-range position of a token with the token's own feed range.

    azure-cosmos 4.17.1 replaces the position of a split range with one position per child
    *physical range*, not per child's intersection with the feed range being read
    (``_change_feed/feed_range_composite_continuation_token.py:handle_feed_range_gone`` builds
    them from ``Range.PartitionKeyRangeToRange(child_range)``). For a feed range that is a
    sub-range of a physical range (a shard's slice), the token then reaches outside its own
    ``Range`` and the next requests read documents of the neighbouring slice. Clamping each pair
    to the outer ``Range`` (dropping pairs left empty) restores the scope; each pair keeps its
    etag, which is valid on any sub-range of the range it was read from (the SDK itself reuses a
    parent's token on each child after a split, ``handle_feed_range_gone``).

    Args:
        token: A decoded-able v2 token scoped to an EPK range.

    Returns:
        ``(token, changed)``: the clamped token (the input itself when nothing reached outside)
        and whether any pair was narrowed or dropped.

    Raises:
        ContinuationError: If the token cannot be decoded.
    """
    data = decode_token(token)
    outer = token_range(data)
    if outer is None:
        return token, False
    low, high = outer
    pairs = data["continuation"]["continuation"]
    kept: list[dict[str, t.Any]] = []
    changed = False
    for pair in pairs:
        rng = pair.get("range") or {}
        pmin, pmax = str(rng.get("min", "")), str(rng.get("max", ""))
        new_min = max(pmin, low)
        new_max = min(pmax, high, key=epk_upper)
        if new_min >= epk_upper(new_max):
            changed = True
            continue
        if (new_min, new_max) != (pmin, pmax):
            changed = True
            pair = {**pair, "range": {**rng, "min": new_min, "max": new_max}}
        kept.append(pair)
    if not changed:
        return token, False
    if not kept:
        raise ContinuationError("continuation token has no position inside its own range")
    data["continuation"]["continuation"] = kept
    return encode_token(data), True


def rescope_token(token: str, feed_range: tuple[str, str]) -> str:
    """Narrow a token to a sub-range of its feed range, keeping every position.

    Used when re-sharding: the new feed range ``[min, max)`` lies inside the token's range; the
    token's ``Range`` becomes it and each per-range position is intersected with it (positions
    outside are dropped), as azure-cosmos itself does for a split child
    (``feed_range_composite_continuation_token.py:handle_feed_range_gone`` reuses the parent's
    etag on each child).

    Args:
        token: A v2 token scoped to an EPK range containing ``feed_range``.
        feed_range: ``(min, max)`` of the new range.

    Returns:
        The narrowed token.

    Raises:
        ContinuationError: If the token cannot be decoded, is not scoped to an EPK range, or has
            no position inside ``feed_range``.
    """
    data = decode_token(token)
    outer = data["continuation"].get("Range")
    if not isinstance(outer, dict):
        raise ContinuationError("continuation token is not scoped to an EPK range")
    data["continuation"]["Range"] = {**outer, "min": feed_range[0], "max": feed_range[1]}
    narrowed, _ = clamp_token(encode_token(data))
    return narrowed
