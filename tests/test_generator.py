"""The clickstream generator: seeded, contract-shaped, funnel-ordered and dirty at small rates."""

import pyarrow.parquet as pq

from runners.sample_data.generate_clickstream import SCHEMA, DirtRates, generate


def read(path):
    return pq.read_table(path).to_pandas()


def test_same_seed_same_data_and_contract_schema(tmp_path):
    n1 = generate(1_000, tmp_path / "a", seed=3, progress=False)
    n2 = generate(1_000, tmp_path / "b", seed=3, progress=False)
    assert n1 == n2
    assert 800 <= n1 <= 1_200
    assert read(tmp_path / "a").equals(read(tmp_path / "b"))
    assert pq.read_schema(next((tmp_path / "a").glob("*.parquet"))).equals(SCHEMA)
    generate(1_000, tmp_path / "c", seed=4, progress=False)
    assert not read(tmp_path / "a").equals(read(tmp_path / "c"))


def test_funnel_order_and_dirt(tmp_path):
    generate(60_000, tmp_path / "e", seed=5, progress=False)
    df = read(tmp_path / "e")
    types = set(df.event_type.dropna())
    assert {"view", "add_to_cart", "purchase"} <= types
    assert types - {"view", "add_to_cart", "purchase"}, "unknown and mis-cased types expected"
    assert df.product_id.isna().sum() > 0
    assert (df.price.isna() | (df.price < 0) | (df.price > 1e6)).sum() > 0
    purchases = df[df.event_type == "purchase"].dropna(subset=["product_id"])
    assert purchases.duplicated(["session_id", "product_id"]).sum() > 0
    viewers = set(df[df.event_type == "view"].user_id)
    assert set(purchases.user_id) - viewers, "some buyers never view"
    # Within a session, every view comes before every purchase.
    clean = df[df.event_type.isin(["view", "purchase"])]
    first_purchase = clean[clean.event_type == "purchase"].groupby("session_id").timestamp.min()
    last_view = clean[clean.event_type == "view"].groupby("session_id").timestamp.max()
    both = first_purchase.index.intersection(last_view.index)
    assert len(both) > 100
    assert (last_view[both] < first_purchase[both]).all()


def test_clean_data_has_no_dirt(tmp_path):
    generate(20_000, tmp_path / "c", seed=6, dirt=DirtRates(0, 0, 0, 0, 0, 0), progress=False)
    df = read(tmp_path / "c")
    assert set(df.event_type) == {"view", "add_to_cart", "purchase"}
    assert df.product_id.notna().all() and (df.price >= 0).all()


def test_ensure_generates_once_per_size_and_seed(tmp_path):
    from runners.sample_data.generate_clickstream import ensure

    assert ensure(1_000, tmp_path / "e", seed=1) is True
    assert ensure(1_000, tmp_path / "e", seed=1) is False  # reused
    assert ensure(1_000, tmp_path / "e", seed=2) is True  # another seed: made anew


def test_ensure_generates_again_when_the_generator_changed(tmp_path):
    from runners.sample_data import sample_marker

    generator = tmp_path / "generator.py"
    generator.write_text("version = 1\n")
    calls = []
    make = lambda: calls.append(1)  # noqa: E731
    assert sample_marker.ensure(tmp_path, generator, {"rows": 5}, make) is True
    assert sample_marker.ensure(tmp_path, generator, {"rows": 5}, make) is False
    generator.write_text("version = 2\n")
    assert sample_marker.ensure(tmp_path, generator, {"rows": 5}, make) is True
    assert len(calls) == 2
