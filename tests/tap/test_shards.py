"""Scale-out: shards of the EPK space run as separate `tap-cosmosdb` processes (issue 8).

The shard tests use their own emulator with 8 physical ranges per container (the session
emulator has 4; the range count is a per-server setting).
"""

from __future__ import annotations

import base64
import collections
import itertools
import json
import subprocess
import typing as t
import uuid

import pytest
from azure.cosmos import PartitionKey

from cosmosdb_emulator import Emulator
from cosmosdb_shared.partition_key import PartitionKeyDefinition
from tap_cosmosdb.change_feed import FeedRange
from tap_cosmosdb.continuation import clamp_token, decode_token
from tap_cosmosdb.epk import EpkHasher
from tap_cosmosdb.settings import TapSettings
from tap_cosmosdb.shards import ShardSettingError, shard_feed_ranges, shard_range
from tests.conftest import executable, singer_lines
from tests.tap.conftest import TapEnv, TapRun
from tests.tap.test_query_reader import set_method

H = "0" * 31  # pad a leading hex digit to a 32-digit boundary


@pytest.fixture(scope="module")
def emulator8() -> t.Iterator[Emulator]:
    with Emulator(partitions=8) as emu:
        yield emu


@pytest.fixture
def env8(emulator8, tmp_path) -> t.Iterator[TapEnv]:
    name = f"shards_{uuid.uuid4().hex[:10]}"
    client = emulator8.client()
    database = client.create_database(name)
    yield TapEnv(emulator8, database, name, tmp_path)
    client.delete_database(name)


def seed_varied(container: t.Any, count: int, *, start: int = 0) -> set[tuple[str, str]]:
    """Upsert documents whose partition keys are strings, numbers, null and undefined."""
    keys = set()
    for i in range(start, start + count):
        doc: dict[str, t.Any] = {"id": f"d{i}", "n": i}
        kind = i % 5
        if kind in (0, 1):
            doc["pk"] = f"p{i}"
        elif kind == 2:
            doc["pk"] = i
        elif kind == 3:
            doc["pk"] = None
        # kind 4: no partition key value (undefined)
        container.upsert_item(doc)
        keys.add(
            (json.dumps([doc["pk"]] if "pk" in doc else [{}], separators=(",", ":")), doc["id"])
        )
    return keys


def run_parallel(
    env: TapEnv,
    jobs: list[tuple[dict[str, t.Any], dict[str, t.Any] | None]],
    catalog: dict[str, t.Any] | None = None,
    catalogs: list[dict[str, t.Any]] | None = None,
) -> list[TapRun]:
    """Run one tap process per (config, state) at the same time (``catalogs``: one per job)."""
    tag = uuid.uuid4().hex[:6]
    procs = []
    for i, (config, state) in enumerate(jobs):
        if catalogs is not None:
            catalog = catalogs[i]
        cmd = [executable("tap-cosmosdb"), "--config", str(env.write(f"c-{tag}-{i}.json", config))]
        if state is not None:
            cmd += ["--state", str(env.write(f"s-{tag}-{i}.json", state))]
        if catalog is not None:
            cmd += ["--catalog", str(env.write(f"k-{tag}-{i}.json", catalog))]
        procs.append(
            subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        )
    runs = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        runs.append(TapRun(proc.returncode, singer_lines(out), err))
    for run in runs:
        assert run.returncode == 0, run.stderr[-2000:]
    return runs


def keys_of(run: TapRun, stream: str) -> list[tuple[str, str]]:
    return [(r["_sdc_partition_key"], r["id"]) for r in run.records(stream)]


def assert_disjoint_union(shards: list[TapRun], expected: set[tuple[str, str]]) -> None:
    per_shard = [keys_of(run, "items") for run in shards]
    everything = [k for keys in per_shard for k in keys]
    assert len(everything) == len(set(everything)), "a document was read twice"
    assert set(everything) == expected


def assert_partitioned(shards: list[TapRun], single: TapRun, stream: str) -> None:
    """The shards' records are pairwise disjoint and their union is the single run's."""
    per_shard = [keys_of(run, stream) for run in shards]
    counts = collections.Counter(k for keys in per_shard for k in set(keys))
    assert [k for k, c in counts.items() if c > 1] == [], "a document was read by two shards"
    for keys in per_shard:
        assert len(keys) == len(set(keys)), "a shard emitted a document twice"
    assert set(counts) == set(keys_of(single, stream))


# Pure functions ------------------------------------------------------------------------------


def test_boundaries_tile_the_container():
    assert shard_range(0, 1) == FeedRange("", "FF")
    assert shard_range(0, 4) == FeedRange("", "1" + H)
    assert shard_range(1, 4) == FeedRange("1" + H, "2" + H)
    assert shard_range(3, 4) == FeedRange("3" + H, "FF")
    assert shard_range(1, 3).range_min == "15555555555555555555555555555555"
    for count in range(1, 8):
        ranges = [shard_range(i, count) for i in range(count)]
        assert ranges[0].range_min == ""
        assert ranges[-1].range_max == "FF"
        for left, right in itertools.pairwise(ranges):
            assert left.range_max == right.range_min
            assert len(left.range_max) == 32
            assert left.range_min < left.range_max


def test_shard_feed_ranges_intersect_physical_ranges():
    physical = [FeedRange("", "1" + H), FeedRange("1" + H, "2" + H), FeedRange("2" + H, "FF")]
    assert shard_feed_ranges(shard_range(0, 2), physical) == physical[:2]
    assert shard_feed_ranges(shard_range(1, 3), physical) == [
        FeedRange("15555555555555555555555555555555", "2" + H),
        FeedRange("2" + H, "2AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
    ]


def test_epk_hasher_matches_published_vectors():
    flat = EpkHasher(PartitionKeyDefinition.for_paths(["/pk"]))
    assert flat.of_header('["x"]') == "11E3F358618BE9AA5BAFF4C7C74F0716"
    assert flat.of_values([1]) == "20CD98B339BA78A5D0CF6953B87070B0"
    assert flat.of_header("[null]") == "378867E4430E67857ACE5C908374FE16"
    assert flat.of_header("[{}]") == "11622DAA78F835834610ABE56EFF5CB5"
    hpk = EpkHasher(PartitionKeyDefinition.for_paths(["/a", "/b", "/c"]))
    assert hpk.of_header('["t1","u1","v1"]') == (
        "3D48BB14DA9D090D22112C96695028B6"
        "2A947C94F6E254B945CEBC3196C9897C"
        "3CE52F04B90156E80C915ED28EA09F01"
    )


def _token(outer: tuple[str, str], pairs: list[tuple[str, str]]) -> str:
    def rng(lo: str, hi: str) -> dict[str, t.Any]:
        return {"min": lo, "max": hi, "isMinInclusive": True, "isMaxInclusive": False}

    data = {
        "v": "v2",
        "containerRid": "r=",
        "mode": "LatestVersion",
        "startFrom": {"Type": "Beginning"},
        "continuation": {
            "v": "v2",
            "rid": "r=",
            "continuation": [{"token": '"7"', "range": rng(*p)} for p in pairs],
            "Range": rng(*outer),
        },
    }
    return base64.b64encode(json.dumps(data).encode()).decode()


def test_clamp_token_narrows_child_ranges_to_the_feed_range():
    inside = _token(("1" + H, "18" + "0" * 30), [("1" + H, "18" + "0" * 30)])
    assert clamp_token(inside) == (inside, False)
    # What azure-cosmos 4.17.1 leaves after splitting [10,20) under the sub-range [12,16):
    widened = _token(
        ("12" + "0" * 30, "16" + "0" * 30), [("1" + H, "14" + "0" * 30), ("14" + "0" * 30, "2" + H)]
    )
    clamped, changed = clamp_token(widened)
    assert changed
    pairs = decode_token(clamped)["continuation"]["continuation"]
    assert [(p["range"]["min"][:2], p["range"]["max"][:2]) for p in pairs] == [
        ("12", "14"),
        ("14", "16"),
    ]
    assert {p["token"] for p in pairs} == {'"7"'}
    # A child entirely outside is dropped; "FF" is the top of the space.
    top = _token(("3" + H, "FF"), [("2" + H, "28" + "0" * 30), ("28" + "0" * 30, "FF")])
    pairs = decode_token(clamp_token(top)[0])["continuation"]["continuation"]
    assert [(p["range"]["min"][:2], p["range"]["max"]) for p in pairs] == [("30", "FF")]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"shard_count": 0}, "Setting 'shard_count' must be at least 1"),
        ({"shard_count": 4, "shard_index": 4}, "Setting 'shard_index' must be between 0 and"),
        ({"shard_count": 2, "shard_index": -1}, "Setting 'shard_index' must be between 0 and"),
        ({"shard_count": "two"}, "Setting 'shard_count' must be an integer"),
    ],
)
def test_layout_validation(config, message):
    base = {"database": "d", "account_endpoint": "http://h/", "account_key": "a2V5"}
    with pytest.raises(ShardSettingError, match=message):
        TapSettings.from_config({**base, **config})


# Against the emulator ------------------------------------------------------------------------


def test_four_shards_partition_eight_ranges_before_and_after_splits(env8):
    items = env8.container("items")
    keys = seed_varied(items, 150)
    base = env8.config(page_size=20)
    shard_configs = [{**base, "shard_count": 4, "shard_index": i} for i in range(4)]

    first = run_parallel(env8, [(base, None)] + [(c, None) for c in shard_configs])
    single, shards = first[0], first[1:]
    assert set(keys_of(single, "items")) == keys
    assert_partitioned(shards, single, "items")
    for i, run in enumerate(shards):
        stream_state = run.last_state["bookmarks"]["items"]
        assert stream_state["shard"] == {"index": i, "count": 4}
        ranges = [FeedRange.from_context(p["context"]) for p in stream_state["partitions"]]
        assert len(ranges) == 2  # 8 physical ranges / 4 shards
        assert all(shard_range(i, 4).contains(fr) for fr in ranges)
        assert keys_of(run, "items")  # every shard got a share

    # Split a range in shard 0 and one in shard 3, then change documents and add new ones.
    env8.emulator.split(env8.name, "items", "1")
    env8.emulator.split(env8.name, "items", "6")
    changed = seed_varied(items, 40, start=130)  # 20 updates, 20 new
    second = run_parallel(
        env8,
        [(base, single.last_state)]
        + [(c, run.last_state) for c, run in zip(shard_configs, shards, strict=True)],
    )
    assert set(keys_of(second[0], "items")) == changed
    assert_partitioned(second[1:], second[0], "items")


def test_split_of_a_range_cut_by_a_shard_boundary(env8):
    """Three shards cut physical ranges 2 ([10,18)) and 5 ([28,30)) into sub-ranges.

    After a split, azure-cosmos 4.17.1 replaces a sub-range's position by the whole child ranges
    (``handle_feed_range_gone``); without clamping, shard 0 would read part of shard 1's slice.
    """
    items = env8.container("items")
    keys = seed_varied(items, 120)
    configs = [{**env8.config(page_size=15), "shard_count": 3, "shard_index": i} for i in range(3)]
    first = run_parallel(env8, [(c, None) for c in configs])
    assert_disjoint_union(first, keys)
    contexts = [p["context"] for p in first[1].last_state["bookmarks"]["items"]["partitions"]]
    assert {
        "range_min": "15555555555555555555555555555555",
        "range_max": "18" + "0" * 30,
    } in contexts

    env8.emulator.split(env8.name, "items", "2")
    env8.emulator.split(env8.name, "items", "5")
    changed = seed_varied(items, 120, start=60)
    second = run_parallel(env8, [(c, r.last_state) for c, r in zip(configs, first, strict=True)])
    assert_disjoint_union(second, changed)
    # Stored tokens stay inside their feed ranges, so the next round reads nothing twice.
    for run in second:
        for partition in run.last_state["bookmarks"]["items"]["partitions"]:
            assert clamp_token(partition["continuation"])[1] is False
    newest = seed_varied(items, 30, start=500)
    third = run_parallel(env8, [(c, r.last_state) for c, r in zip(configs, second, strict=True)])
    got = [k for run in third for k in keys_of(run, "items")]
    assert sorted(got) == sorted(newest)


def test_query_methods_are_scoped_to_the_shard(env8):
    items = env8.container("items")
    keys = seed_varied(items, 60)
    discovered = env8.discover()
    catalog_full = set_method(json.loads(json.dumps(discovered)), "items", "FULL_TABLE")
    catalog_inc = set_method(discovered, "items", "INCREMENTAL")
    configs = [{**env8.config(page_size=7), "shard_count": 2, "shard_index": i} for i in range(2)]
    runs = run_parallel(
        env8,
        [(c, None) for c in configs] * 2,
        catalogs=[catalog_full, catalog_full, catalog_inc, catalog_inc],
    )
    assert_disjoint_union(runs[:2], keys)  # FULL_TABLE
    assert_disjoint_union(runs[2:], keys)  # INCREMENTAL
    for i, run in enumerate(runs[2:]):
        bookmark = run.last_state["bookmarks"]["items"]
        assert bookmark["shard"] == {"index": i, "count": 2}
        assert bookmark["replication_key_value"] == max(r["_ts"] for r in run.records("items"))


def assert_one_line_error(run: TapRun, contains: str) -> None:
    assert run.returncode == 1
    errors = [line for line in run.stderr.splitlines() if line.startswith("tap-cosmosdb: error:")]
    assert len(errors) == 1, run.stderr[-2000:]
    assert contains in errors[0], errors[0]
    assert "Traceback" not in run.stderr
    assert not run.records()


def test_state_of_another_layout_is_refused(tap_env):
    items = tap_env.container("items")
    seed_varied(items, 10)
    shard1 = tap_env.run(tap_env.config(shard_count=4, shard_index=1))
    assert shard1.returncode == 0, shard1.stderr[-2000:]
    state = shard1.last_state

    other_index = tap_env.run(tap_env.config(shard_count=4, shard_index=2), state=state)
    assert_one_line_error(
        other_index, "the state was written by shard 1 of 4 but this run is shard 2 of 4"
    )
    other_count = tap_env.run(tap_env.config(shard_count=2, shard_index=0), state=state)
    assert_one_line_error(other_count, "shard 1 of 4 but this run is shard 0 of 2")

    # A state written without sharding (before the setting existed: no "shard" entry) is
    # taken as the layout "shard 0 of 1".
    legacy = json.loads(json.dumps(state))
    assert legacy["bookmarks"]["items"].pop("shard") == {"index": 1, "count": 4}
    sharded = tap_env.run(tap_env.config(shard_count=2, shard_index=1), state=legacy)
    assert_one_line_error(
        sharded, "the state was written by shard 0 of 1 but this run is shard 1 of 2"
    )

    # The same shard resumes from its own state.
    resumed = tap_env.run(tap_env.config(shard_count=4, shard_index=1), state=state)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert resumed.records() == []


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"shard_count": 0}, "0 is less than the minimum of 1 in config['shard_count']"),
        ({"shard_count": 3, "shard_index": 3}, "Setting 'shard_index' must be between 0 and"),
    ],
)
def test_bad_shard_settings_are_one_line_errors(tap_env, settings, message):
    tap_env.container("items")
    run = tap_env.run(tap_env.config(**settings))
    assert_one_line_error(run, message)


def test_shard_ranges_on_a_hierarchical_key_container(env8):
    hpk = env8.database.create_container("hpk", PartitionKey(path=["/t", "/u"], kind="MultiHash"))
    keys = set()
    for i in range(40):
        hpk.upsert_item({"id": f"h{i}", "t": f"t{i % 7}", "u": f"u{i}"})
        keys.add((json.dumps([f"t{i % 7}", f"u{i}"], separators=(",", ":")), f"h{i}"))
    configs = [{**env8.config(), "shard_count": 2, "shard_index": i} for i in range(2)]
    runs = run_parallel(env8, [(c, None) for c in configs])
    per_shard = [set(keys_of(r, "hpk")) for r in runs]
    assert not per_shard[0] & per_shard[1]
    assert per_shard[0] | per_shard[1] == keys
    # Documents sharing the first level land in the same shard (its hash decides the slice).
    first_level = [{json.loads(k[0])[0] for k in s} for s in per_shard]
    assert not first_level[0] & first_level[1]


def test_reshard_two_shards_into_three_keeps_every_position(env8, tmp_path):
    items = env8.container("items")
    seed_varied(items, 80)
    old = [{**env8.config(page_size=25), "shard_count": 2, "shard_index": i} for i in range(2)]
    first = run_parallel(env8, [(c, None) for c in old])
    paths = []
    for i, run in enumerate(first):
        path = tmp_path / f"old-{i}.json"
        path.write_text(json.dumps({"singer_state": run.last_state}))  # `meltano state get` shape
        paths.append(str(path))

    # Missing a shard's state is refused.
    missing = subprocess.run(
        [
            executable("tap-cosmosdb-reshard"),
            "--shard-count",
            "3",
            "--output-dir",
            str(tmp_path / "x"),
            paths[1],
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 1
    assert missing.stderr.startswith(
        "tap-cosmosdb-reshard: error: stream 'items': the state of shard(s) [0] of 2 is missing"
    )

    done = subprocess.run(
        [
            executable("tap-cosmosdb-reshard"),
            "--shard-count",
            "3",
            "--output-dir",
            str(tmp_path / "new"),
            *paths,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    new_states = [
        json.loads((tmp_path / "new" / f"state-shard-{i}.json").read_text())["singer_state"]
        for i in range(3)
    ]
    for i, state in enumerate(new_states):
        assert state["bookmarks"]["items"]["shard"] == {"index": i, "count": 3}
        for partition in state["bookmarks"]["items"]["partitions"]:
            assert shard_range(i, 3).contains(FeedRange.from_context(partition["context"]))

    changed = seed_varied(items, 40, start=60)
    new = [{**env8.config(page_size=25), "shard_count": 3, "shard_index": i} for i in range(3)]
    second = run_parallel(env8, list(zip(new, new_states, strict=True)))
    assert_disjoint_union(second, changed)


def test_reshard_states_cuts_ranges_and_narrows_tokens():
    from tap_cosmosdb.reshard import ReshardError, reshard_states

    bounds = ["", "1" + H, "2" + H, "3" + H, "FF"]
    partitions = [
        {
            "context": {"range_min": lo, "range_max": hi},
            "continuation": _token((lo, hi), [(lo, hi)]),
            "mode": "LatestVersion",
            "last_lsn": 7,
        }
        for lo, hi in itertools.pairwise(bounds)
    ]
    legacy = {"bookmarks": {"items": {"partitions": partitions}}}  # unsharded, no "shard" entry
    new = reshard_states([legacy], 3)
    cut = [
        [FeedRange.from_context(p["context"]) for p in s["bookmarks"]["items"]["partitions"]]
        for s in new
    ]
    assert cut[0] == [
        FeedRange("", "1" + H),
        FeedRange("1" + H, "15555555555555555555555555555555"),
    ]
    assert cut[1][0] == FeedRange("15555555555555555555555555555555", "2" + H)
    assert cut[2][-1] == FeedRange("3" + H, "FF")
    for state in new:
        for partition in state["bookmarks"]["items"]["partitions"]:
            data = decode_token(partition["continuation"])
            rng = data["continuation"]["Range"]
            assert (rng["min"], rng["max"]) == (
                partition["context"]["range_min"],
                partition["context"]["range_max"],
            )
            assert clamp_token(partition["continuation"])[1] is False
            assert partition["last_lsn"] == 7
    # A gap (a shard that never reached a range) is refused.
    gappy = {"bookmarks": {"items": {"partitions": partitions[:2] + partitions[3:]}}}
    with pytest.raises(ReshardError, match=r"do not cover the EPK range \[2"):
        reshard_states([gappy], 2)
