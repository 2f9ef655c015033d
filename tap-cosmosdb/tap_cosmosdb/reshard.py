"""Re-shard tap-cosmosdb states: turn the states of N shards into the states of M shards.

Every change-feed position of a feed range stays valid on any sub-range of it (the service's
etag is an LSN; azure-cosmos reuses a split parent's etag on each child,
``_change_feed/feed_range_composite_continuation_token.py:handle_feed_range_gone``). So the
feed ranges of the old shards, cut at the new shard boundaries, keep their positions: new shard
``j`` gets, for every old partition overlapping its slice, the intersection with its token
narrowed to it (:func:`tap_cosmosdb.continuation.rescope_token`). Nothing is read twice or
skipped, whatever N and M are. INCREMENTAL bookmarks become the smallest of the old shards'
``replication_key_value`` (at-least-once).

Usage (all old shards stopped, each with its last state)::

    tap-cosmosdb-reshard --shard-count 4 --output-dir new/ old-0.json old-1.json

writes ``new/state-shard-0.json`` … ``state-shard-3.json``. Inputs may be bare Singer states
(``{"bookmarks": …}``) or ``meltano state get`` output (``{"singer_state": …}``); outputs use
the same shape as the first input.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import typing as t
from pathlib import Path

from tap_cosmosdb.continuation import ContinuationError, rescope_token
from tap_cosmosdb.feed_range import MAX_EPK, MIN_EPK, FeedRange, epk_upper
from tap_cosmosdb.shards import ShardLayout, shard_range

#: Bookmark keys holding change-feed tokens (LatestVersion / AllVersionsAndDeletes phases).
TOKEN_KEYS = ("continuation", "changes_continuation")


class ReshardError(ValueError):
    """The given states cannot be re-sharded (one-line reason)."""


def _stream_layouts(name: str, entries: list[dict[str, t.Any]]) -> None:
    layouts = [ShardLayout.from_state(e.get("shard")) or ShardLayout(0, 1) for e in entries]
    counts = {layout.count for layout in layouts}
    if len(counts) > 1:
        raise ReshardError(
            f"stream '{name}': the states come from different shard counts {sorted(counts)}"
        )
    indexes = [layout.index for layout in layouts]
    if len(set(indexes)) != len(indexes):
        raise ReshardError(f"stream '{name}': two states are from the same shard")
    count = counts.pop()
    if sorted(indexes) != list(range(count)):
        missing = sorted(set(range(count)) - set(indexes))
        raise ReshardError(
            f"stream '{name}': the state of shard(s) {missing} of {count} is missing; give the "
            "last state of every old shard"
        )


def _check_tiling(name: str, partitions: list[dict[str, t.Any]]) -> None:
    ranges = sorted(
        (FeedRange.from_context(p["context"]) for p in partitions), key=lambda r: r.range_min
    )
    position = MIN_EPK
    for fr in ranges:
        if fr.range_min != position:
            raise ReshardError(
                f"stream '{name}': the states do not cover the EPK range "
                f"[{position or chr(34) * 2},{fr.range_min}) (or overlap there); run every old "
                "shard until it has read all of its ranges, then re-shard"
            )
        position = fr.range_max
    if epk_upper(position) != epk_upper(MAX_EPK):
        raise ReshardError(
            f"stream '{name}': the states do not cover the EPK range [{position},FF); run every "
            "old shard until it has read all of its ranges, then re-shard"
        )


def _cut(partition: dict[str, t.Any], piece: FeedRange, stream: str) -> dict[str, t.Any]:
    whole = FeedRange.from_context(partition["context"])
    entry = copy.deepcopy(partition)
    entry["context"] = piece.to_context()
    if piece == whole:
        return entry
    for key in TOKEN_KEYS:
        token = entry.get(key)
        if token:
            try:
                entry[key] = rescope_token(token, (piece.range_min, piece.range_max))
            except ContinuationError as exc:
                raise ReshardError(f"stream '{stream}' range {whole}: {exc}") from None
    return entry


def reshard_states(states: list[dict[str, t.Any]], count: int) -> list[dict[str, t.Any]]:
    """Compute the states of ``count`` new shards from the last states of every old shard.

    Args:
        states: Singer state values (``{"bookmarks": {stream: {...}}}``), one per old shard, in
            any order; a state without ``shard`` entries counts as shard 0 of 1.
        count: The new ``shard_count``.

    Returns:
        ``count`` states, index ``j`` for ``shard_index`` ``j``.

    Raises:
        ReshardError: If ``count`` < 1, a shard's state is missing or duplicated, the states mix
            shard counts, or the old partitions do not tile a stream's EPK space.
    """
    if count < 1:
        raise ReshardError(f"the new shard count must be at least 1, not {count}")
    names: list[str] = []
    for state in states:
        for name in state.get("bookmarks") or {}:
            if name not in names:
                names.append(name)
    new_states: list[dict[str, t.Any]] = [{"bookmarks": {}} for _ in range(count)]
    for name in names:
        entries = [s["bookmarks"][name] for s in states if name in (s.get("bookmarks") or {})]
        _stream_layouts(name, entries)
        if len(entries) != len(states):
            raise ReshardError(f"stream '{name}' is missing from some of the states")
        partitions = [p for e in entries for p in e.get("partitions") or [] if p.get("context")]
        if partitions:
            _check_tiling(name, partitions)
        key_values = [e.get("replication_key_value") for e in entries]
        for index in range(count):
            target: dict[str, t.Any] = {"shard": ShardLayout(index, count).to_state()}
            slice_ = shard_range(index, count)
            cut = [
                _cut(p, piece, name)
                for p in partitions
                if (piece := FeedRange.from_context(p["context"]).intersection(slice_))
            ]
            if cut:
                target["partitions"] = sorted(cut, key=lambda p: p["context"]["range_min"])
            if key_values and all(v is not None for v in key_values):
                target["replication_key"] = entries[0].get("replication_key")
                target["replication_key_value"] = min(key_values)
            new_states[index]["bookmarks"][name] = target
    return new_states


def main(argv: list[str] | None = None) -> int:
    """``tap-cosmosdb-reshard``: read old shard states, write new ones (see module docstring)."""
    parser = argparse.ArgumentParser(
        prog="tap-cosmosdb-reshard",
        description="Turn the last states of every old tap-cosmosdb shard into states for a new "
        "shard count, keeping every change-feed position.",
    )
    parser.add_argument("--shard-count", type=int, required=True, help="the new shard_count")
    parser.add_argument("--output-dir", type=Path, required=True)
    parser.add_argument("states", nargs="+", type=Path, help="the last state of each old shard")
    args = parser.parse_args(argv)
    try:
        loaded = []
        wrapped = False
        for i, path in enumerate(args.states):
            try:
                data = json.loads(path.read_text())
            except (OSError, ValueError) as exc:
                raise ReshardError(f"{path}: cannot read a JSON state ({exc})") from None
            if not isinstance(data, dict):
                raise ReshardError(f"{path}: not a JSON object")
            if "singer_state" in data:
                wrapped = wrapped or i == 0
                data = data["singer_state"] or {}
            loaded.append(data)
        new_states = reshard_states(loaded, args.shard_count)
        args.output_dir.mkdir(parents=True, exist_ok=True)
        for index, state in enumerate(new_states):
            out = {"singer_state": state} if wrapped else state
            path = args.output_dir / f"state-shard-{index}.json"
            path.write_text(json.dumps(out, indent=1) + "\n")
            print(path)
    except ReshardError as exc:
        print(f"tap-cosmosdb-reshard: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
