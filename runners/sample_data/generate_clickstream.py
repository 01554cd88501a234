"""Generate a seeded, realistic and slightly dirty clickstream as Parquet.

Sessions follow a view -> add_to_cart -> purchase funnel, product popularity is Zipf-like, and a
set of co-purchase bundles gives FPGrowth real rules at the seed's minSupport 0.01. The data is
written in bounded memory, chunk by chunk, so 50 million events need no more RAM than 1,000.

Dirt, at small rates: unknown and mis-cased event types, null product ids, the same product
bought twice in a session, purchases by users who never view anything, and extreme prices.

    python runners/sample_data/generate_clickstream.py --events 1000000 \
        --out data/sample/clickstream
"""

from __future__ import annotations

import argparse
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

if str(Path(__file__).resolve().parents[2]) not in sys.path:  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from runners.sample_data import sample_marker  # noqa: E402

CATEGORIES = [
    "electronics", "books", "home", "fashion", "sports",
    "toys", "beauty", "grocery", "garden", "automotive",
]
SCHEMA = pa.schema([
    ("user_id", pa.string()),
    ("session_id", pa.string()),
    ("product_id", pa.string()),
    ("category", pa.string()),
    ("price", pa.float64()),
    ("event_type", pa.string()),
    ("timestamp", pa.timestamp("us", tz="UTC")),
])
START_EPOCH_S = 1_767_225_600  # 2026-01-01T00:00:00Z
EVENTS_PER_FILE = 2_000_000
ROW_GROUP = 262_144


@dataclass(frozen=True)
class DirtRates:
    unknown_event_type: float = 0.004
    miscased_event_type: float = 0.004
    null_product: float = 0.004
    duplicate_purchase: float = 0.02  # of purchase sessions
    purchase_only_session: float = 0.01  # sessions by users who never view
    extreme_price: float = 0.001


@dataclass(frozen=True)
class Catalog:
    product_ids: np.ndarray
    categories: np.ndarray
    prices: np.ndarray
    popularity_cdf: np.ndarray
    bundles: list[np.ndarray]


def build_catalog(rng: np.random.Generator, n_products: int, n_bundles: int) -> Catalog:
    product_ids = np.array([f"P{i:06d}" for i in range(n_products)], dtype=object)
    categories = np.array(CATEGORIES, dtype=object)[rng.integers(0, len(CATEGORIES), n_products)]
    prices = np.round(np.exp(rng.normal(3.4, 1.0, n_products)), 2) + 0.99
    weights = 1.0 / np.arange(1, n_products + 1) ** 1.1  # Zipf-like popularity
    rng.shuffle(weights)
    cdf = np.cumsum(weights / weights.sum())
    bundle_sizes = rng.integers(2, 4, n_bundles)
    bundles = [rng.choice(n_products, size=s, replace=False) for s in bundle_sizes]
    return Catalog(product_ids, categories, prices, cdf, bundles)


def sample_products(rng: np.random.Generator, catalog: Catalog, n: int) -> np.ndarray:
    idx = np.searchsorted(catalog.popularity_cdf, rng.random(n), side="right")
    return np.minimum(idx, len(catalog.popularity_cdf) - 1)


def funnel_chunk(
    rng: np.random.Generator, catalog: Catalog, n_users: int, n_sessions: int,
    first_session: int, days: int, dirt: DirtRates,
) -> pa.Table:
    """One chunk of sessions, each a funnel of views, cart adds and purchases."""
    session_no = np.arange(first_session, first_session + n_sessions)
    # Users' activity is skewed too: a few users have many sessions.
    user_no = np.minimum((rng.pareto(1.2, n_sessions) * n_users / 20).astype(np.int64), n_users - 1)
    purchase_only = rng.random(n_sessions) < dirt.purchase_only_session
    user_no = np.where(purchase_only, n_users + (user_no % max(1, n_users // 50)), user_no)
    starts = START_EPOCH_S + rng.integers(0, days * 86_400, n_sessions)

    views_per_session = np.where(purchase_only, 0, 1 + rng.geometric(0.3, n_sessions))
    view_session = np.repeat(np.arange(n_sessions), views_per_session)
    view_product = sample_products(rng, catalog, len(view_session))
    carted = rng.random(len(view_session)) < 0.3
    bought = carted & (rng.random(len(view_session)) < 0.5)

    # Bundles: some sessions buy a whole bundle, which gives FPGrowth its rules.
    bundle_pick = rng.integers(0, len(catalog.bundles), n_sessions)
    buys_bundle = rng.random(n_sessions) < 0.25
    bundle_session = np.repeat(
        np.arange(n_sessions)[buys_bundle],
        [len(catalog.bundles[b]) for b in bundle_pick[buys_bundle]],
    )
    bundle_product = (
        np.concatenate([catalog.bundles[b] for b in bundle_pick[buys_bundle]])
        if buys_bundle.any() else np.array([], dtype=np.int64)
    )
    # Purchase-only sessions buy one popular product with no view before it.
    direct_session = np.arange(n_sessions)[purchase_only]
    direct_product = sample_products(rng, catalog, len(direct_session))

    view_s, view_p = view_session, view_product
    cart_s = np.concatenate([view_session[carted], bundle_session])
    cart_p = np.concatenate([view_product[carted], bundle_product])
    buy_s = np.concatenate([view_session[bought], bundle_session, direct_session])
    buy_p = np.concatenate([view_product[bought], bundle_product, direct_product])
    # The same product bought twice in one session.
    dup = rng.random(len(buy_s)) < dirt.duplicate_purchase
    buy_s = np.concatenate([buy_s, buy_s[dup]])
    buy_p = np.concatenate([buy_p, buy_p[dup]])
    bundle_views_s, bundle_views_p = bundle_session, bundle_product

    sessions = np.concatenate([view_s, bundle_views_s, cart_s, buy_s])
    products = np.concatenate([view_p, bundle_views_p, cart_p, buy_p])
    stage = np.concatenate([
        np.zeros(len(view_s) + len(bundle_views_s), dtype=np.int8),
        np.ones(len(cart_s), dtype=np.int8),
        np.full(len(buy_s), 2, dtype=np.int8),
    ])
    n = len(sessions)
    offsets = stage.astype(np.int64) * 600 + rng.integers(0, 600, n)
    ts_us = (starts[sessions] + offsets) * 1_000_000 + rng.integers(0, 1_000_000, n)

    event_type = np.array(["view", "add_to_cart", "purchase"], dtype=object)[stage]
    product_id = catalog.product_ids[products]
    category = catalog.categories[products]
    price = catalog.prices[products].astype(np.float64)

    roll = rng.random(n)
    unknown = roll < dirt.unknown_event_type
    miscased = (roll >= dirt.unknown_event_type) & (
        roll < dirt.unknown_event_type + dirt.miscased_event_type
    )
    junk = rng.choice(np.array(["click", "hover", ""], object), n)
    event_type = np.where(unknown, junk, event_type)
    miscase = np.vectorize(lambda s: s.upper() if len(s) % 2 else f" {s.title()} ", otypes=[object])
    if miscased.any():
        event_type[miscased] = miscase(event_type[miscased])
    null_product = rng.random(n) < dirt.null_product
    product_id = np.where(null_product, None, product_id)
    extreme = rng.random(n) < dirt.extreme_price
    price[extreme] = rng.choice(np.array([-1.0, 0.0, 1e12, np.nan]), int(extreme.sum()))

    return pa.table({
        "user_id": pa.array(np.char.add("U", user_no[sessions].astype(str)).astype(object)),
        "session_id": pa.array(np.char.add("S", session_no[sessions].astype(str)).astype(object)),
        "product_id": pa.array(product_id, type=pa.string()),
        "category": pa.array(category, type=pa.string()),
        "price": pa.array(price, type=pa.float64(), from_pandas=False),
        "event_type": pa.array(event_type, type=pa.string()),
        "timestamp": pa.array(ts_us, type=pa.timestamp("us", tz="UTC")),
    }, schema=SCHEMA)


def average_events_per_session(rng_seed: int, catalog: Catalog, dirt: DirtRates) -> float:
    probe = funnel_chunk(np.random.default_rng(rng_seed + 1), catalog, 1000, 20_000, 0, 1, dirt)
    return probe.num_rows / 20_000


def generate(events: int, out: Path, seed: int = 42, days: int = 7,
             dirt: DirtRates | None = None, progress: bool = True) -> int:
    """Write about `events` events (whole sessions) under `out`; return the exact count."""
    dirt = dirt or DirtRates()
    rng = np.random.default_rng(seed)
    n_products = int(min(20_000, max(200, events // 500)))
    catalog = build_catalog(rng, n_products, n_bundles=12)
    per_session = average_events_per_session(seed, catalog, dirt)
    n_sessions = max(1, round(events / per_session))
    n_users = max(20, n_sessions // 5)

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    bar = _progress_bar(events, progress)
    written, file_no, writer, in_file = 0, 0, None, 0
    chunk_sessions = 100_000
    try:
        for first in range(0, n_sessions, chunk_sessions):
            table = funnel_chunk(rng, catalog, n_users, min(chunk_sessions, n_sessions - first),
                                 first, days, dirt)
            if writer is None or in_file >= EVENTS_PER_FILE:
                if writer is not None:
                    writer.close()
                writer = pq.ParquetWriter(out / f"part-{file_no:05d}.parquet", SCHEMA)
                file_no, in_file = file_no + 1, 0
            writer.write_table(table, row_group_size=ROW_GROUP)
            written += table.num_rows
            in_file += table.num_rows
            bar.update(table.num_rows)
    finally:
        if writer is not None:
            writer.close()
        bar.close()
    return written


def ensure(events: int, out: Path, seed: int = 42) -> bool:
    """Generate unless `out` already holds data made with these arguments by this generator;
    True if generated."""
    return sample_marker.ensure(out, Path(__file__), {"events": events, "seed": seed},
                                lambda: generate(events, out, seed=seed))


def _progress_bar(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, unit="ev", unit_scale=True, disable=not enabled, file=sys.stderr,
                desc="clickstream")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000, help="about how many events")
    parser.add_argument("--out", type=Path, default=Path("data/sample/clickstream"))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--days", type=int, default=7, help="how many days the events span")
    parser.add_argument("--clean", action="store_true", help="no dirty rows")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if args.events < 1:
        parser.error("--events must be positive")
    dirt = DirtRates(0, 0, 0, 0, 0, 0) if args.clean else DirtRates()
    n = generate(args.events, args.out, args.seed, args.days, dirt, progress=not args.quiet)
    print(f"wrote {n:,} events to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
