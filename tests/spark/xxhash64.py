"""XXH64 in plain Python: the reference for Spark's xxhash64 (seed 42 over a string's UTF-8
bytes), so the churn holdout can be checked without Spark computing its own expectation."""

from __future__ import annotations

MASK = (1 << 64) - 1
PRIME1, PRIME2 = 0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F
PRIME3, PRIME4, PRIME5 = 0x165667B19E3779F9, 0x85EBCA77C2B2AE63, 0x27D4EB2F165667C5
SPARK_SEED = 42


def _rotl(x: int, bits: int) -> int:
    return ((x << bits) | (x >> (64 - bits))) & MASK


def _round(acc: int, lane: int) -> int:
    return (_rotl((acc + lane * PRIME2) & MASK, 31) * PRIME1) & MASK


def _merge(acc: int, value: int) -> int:
    return ((acc ^ _round(0, value)) * PRIME1 + PRIME4) & MASK


def xxh64(data: bytes, seed: int = SPARK_SEED) -> int:
    """The signed 64-bit XXH64 of `data`, as Spark's xxhash64 returns it."""
    n, i = len(data), 0
    word = lambda at, size: int.from_bytes(data[at:at + size], "little")  # noqa: E731
    if n >= 32:
        v = [(seed + PRIME1 + PRIME2) & MASK, (seed + PRIME2) & MASK, seed & MASK,
             (seed - PRIME1) & MASK]
        while i + 32 <= n:
            v = [_round(v[lane], word(i + 8 * lane, 8)) for lane in range(4)]
            i += 32
        h = (_rotl(v[0], 1) + _rotl(v[1], 7) + _rotl(v[2], 12) + _rotl(v[3], 18)) & MASK
        for lane in v:
            h = _merge(h, lane)
    else:
        h = (seed + PRIME5) & MASK
    h = (h + n) & MASK
    while i + 8 <= n:
        h = (_rotl(h ^ _round(0, word(i, 8)), 27) * PRIME1 + PRIME4) & MASK
        i += 8
    if i + 4 <= n:
        h = (_rotl(h ^ (word(i, 4) * PRIME1 & MASK), 23) * PRIME2 + PRIME3) & MASK
        i += 4
    while i < n:
        h = (_rotl(h ^ (data[i] * PRIME5 & MASK), 11) * PRIME1) & MASK
        i += 1
    h = ((h ^ (h >> 33)) * PRIME2) & MASK
    h = ((h ^ (h >> 29)) * PRIME3) & MASK
    h ^= h >> 32
    return h - (1 << 64) if h >> 63 else h
