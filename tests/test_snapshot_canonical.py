"""The published snapshot written in pieces is byte for byte the one-shot canonical gzip."""

from __future__ import annotations

import gzip
import math
import random
import zlib

import pytest
from factories import make_snapshot

from gldash_static import snapshot as snapshot_io


def _pieced(value: object, chunk: int = 1 << 20) -> bytes:
    return b"".join(snapshot_io.gzip_pieces(snapshot_io.canonical_pieces(value, chunk)))


def _one_shot(value: object) -> bytes:
    # zlib's one-shot gzip (gzip.compress with mtime 0 up to Python 3.12; 3.13 writes
    # another OS byte in the header).
    return zlib.compress(snapshot_io.canonical(value), level=9, wbits=31)


HOSTILE: list[object] = [
    {},
    [],
    "plain",
    None,
    {"sources": []},
    {"sources": [{"projects": [], "groups": [{}], "name": "é☃𝄞"}]},
    # Lone surrogates (API callers can send them) become "?" either way.
    {"sources": [{"projects": [{"name": "a\ud800b", "path": "\udfff"}]}]},
    # Keys json sorts on their own types, then writes as strings: not descended into.
    {"a": {1: "one", 2: "two"}, "b": {True: 1, False: 2}, "c": {2.5: 0, -1: 1}},
    {"sources": [{"projects": [{"x": [1.5, -0.0, 1e300, math.inf, -math.inf]}]}]},
    {"z": [[[[[["deep"]]]]]], "a": ({"t": (1, 2)},), "m": '\u2028\u2029\x00\x1f"\\'},
    {"sources": [{"projects": [{}] * 3, "groups": [[], {}]}], "generated_at": "2026"},
]


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
@pytest.mark.parametrize("chunk", [1, 7, 1 << 20])
def test_pieces_match_the_one_shot_bytes(value: object, chunk: int) -> None:
    assert _pieced(value, chunk) == _one_shot(value)
    assert b"".join(snapshot_io.canonical_pieces(value, chunk)) == snapshot_io.canonical(value)


def test_nan_is_written_as_the_one_shot_writes_it() -> None:
    value = {"sources": [{"projects": [{"rate": math.nan}]}]}
    assert _pieced(value) == _one_shot(value)


@pytest.mark.parametrize("chunk", [4096, 1 << 20])
def test_a_large_snapshot_is_identical_in_any_pieces(chunk: int) -> None:
    # Bigger than deflate's 32 KB window many times over, so piece edges fall mid-window.
    snapshot = make_snapshot(projects=300, seed=3, environments=True)
    data, whole = _pieced(snapshot, chunk), snapshot_io.canonical(snapshot)
    assert len(whole) > 1_000_000
    assert data == _one_shot(snapshot) == snapshot_io.canonical_gzip(whole)
    assert gzip.decompress(data) == whole


def test_random_piece_sizes_give_the_same_gzip() -> None:
    data = snapshot_io.canonical(make_snapshot(projects=60, seed=5))
    rng = random.Random(7)
    pieces, at = [], 0
    while at < len(data):
        step = rng.randint(1, 70_000)
        pieces.append(data[at : at + step])
        at += step
    assert b"".join(snapshot_io.gzip_pieces(pieces)) == _one_shot(
        make_snapshot(projects=60, seed=5)
    )
