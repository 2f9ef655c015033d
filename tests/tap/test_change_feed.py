"""ChangeFeedRangeReader against the emulator through the real SDK: page tokens are exact."""

from __future__ import annotations

from tap_cosmosdb.change_feed import ChangeFeedRangeReader, FeedRange, _item_lsn, _max_lsn
from tap_cosmosdb.continuation import decode_token
from tests.tap.conftest import seed


def readers(container, **kwargs):
    rid = container.read()["_rid"]
    ranges = [FeedRange.from_sdk(fr) for fr in container.read_feed_ranges()]
    return rid, ranges


def ids_of(pages):
    return [item["id"] for page in pages for item in page.items]


def test_token_after_each_page_resumes_exactly_after_it_even_when_ranges_interleave(tap_env):
    items = tap_env.container("items")
    seed(items, 60)
    rid, ranges = readers(items)
    assert len(ranges) == 4
    a = ChangeFeedRangeReader(items, ranges[0], rid, page_size=3)
    b = ChangeFeedRangeReader(items, ranges[1], rid, page_size=3)
    pages_a, pages_b = a.pages(), b.pages()
    first_a, first_b = next(pages_a), next(pages_b)
    second_a = next(pages_a)  # requests on range B happened between A's pages
    token_a = second_a.continuation
    assert decode_token(token_a)["continuation"]["Range"]["max"] == ranges[0].range_max
    rest_a = list(pages_a)
    rest_b = list(pages_b)

    resumed = list(
        ChangeFeedRangeReader(items, ranges[0], rid, continuation=token_a, page_size=3).pages()
    )
    assert ids_of(resumed) == ids_of(rest_a)
    full_a = ids_of([first_a, second_a, *rest_a])
    assert len(full_a) == len(set(full_a))
    resumed_b = list(
        ChangeFeedRangeReader(
            items, ranges[1], rid, continuation=first_b.continuation, page_size=3
        ).pages()
    )
    assert ids_of(resumed_b) == ids_of(rest_b)
    # Every document is in exactly one range.
    everything = []
    for fr in ranges:
        everything += ids_of(ChangeFeedRangeReader(items, fr, rid, page_size=7).pages())
    assert sorted(everything) == sorted(f"d{i}" for i in range(60))


def test_caught_up_range_keeps_its_token_on_304(tap_env):
    items = tap_env.container("items")
    seed(items, 10)
    rid, ranges = readers(items)
    reader = ChangeFeedRangeReader(items, ranges[0], rid, page_size=100)
    list(reader.pages())
    token = reader.continuation
    assert token
    assert list(reader.pages()) == []  # 304: nothing new, no page, same position
    assert reader.continuation == token


def test_now_start_yields_a_position_only(tap_env):
    items = tap_env.container("items")
    seed(items, 10)
    rid, ranges = readers(items)
    reader = ChangeFeedRangeReader(items, ranges[2], rid, start_from="Now")
    pages = list(reader.pages())
    assert len(pages) == 1
    assert pages[0].items == []
    assert decode_token(pages[0].continuation)["startFrom"] == {"Type": "Beginning"}


def test_split_after_first_page_of_a_range(tap_env):
    items = tap_env.container("items")
    seed(items, 80)
    rid, ranges = readers(items)
    reader = ChangeFeedRangeReader(items, ranges[0], rid, page_size=4)
    pages = reader.pages()
    first = next(pages)
    tap_env.emulator.split(tap_env.name, "items", "0")
    rest = list(pages)
    got = ids_of([first, *rest])
    assert len(got) == len(set(got))
    # Same set as reading the (now split) range from scratch.
    fresh = ids_of(ChangeFeedRangeReader(items, ranges[0], rid, page_size=50).pages())
    assert sorted(got) == sorted(fresh)
    assert len(decode_token(reader.continuation)["continuation"]["continuation"]) == 2


def test_max_lsn_of_a_page_is_the_largest_item_lsn():
    pages = [
        [{"_lsn": 3}, {"_lsn": 11}, {"_lsn": 7}],  # documents (the one-pass case)
        [{"_lsn": 3}, {"metadata": {"lsn": 12}}, {"current": {}, "metadata": {"lsn": 5}}],
        [{"_lsn": "9"}, {"_lsn": 4}],  # a string the reader still reads as a number
        [{"_lsn": True}, {"_lsn": 2}],
        [{"id": "x"}, {"_lsn": None}, {"_lsn": "n/a"}],
        [{"_lsn": 2**70}, {"_lsn": 1}],
        [],
    ]
    got = [_max_lsn(page) for page in pages]
    assert got == [11, 12, 9, 2, None, 2**70, None]
    for page, value in zip(pages, got, strict=True):
        lsns = [lsn for lsn in map(_item_lsn, page) if lsn is not None]
        assert value == (max(lsns) if lsns else None)
