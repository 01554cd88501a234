"""Generate the churn pipeline's four raw sources for one day, with a learnable churn signal.

Each customer has a hidden engagement level. It drives how often they use the product, how many
support tickets they open and how they rate them, whether their payments fail, and whether they
churn: the label is a noisy threshold on engagement, tenure and plan, so a model that sees the
behaviour can learn it. With `--no-signal` the labels are shuffled across customers, keeping the
churn rate and destroying the signal: a model then fails the pipeline's F1 gate.

The sources land where the seed's DAG looks for them, one folder per source and day:

    <lake>/raw/customer_data/<date>/    customer_id, signup_date, plan, monthly_fee, region,
                                        age, churned
    <lake>/raw/transactions/<date>/     transaction_id, customer_id, amount, status, paid_at
    <lake>/raw/support_tickets/<date>/  ticket_id, customer_id, opened_at, priority, resolved,
                                        satisfaction (1-5, null when not rated)
    <lake>/raw/product_usage/<date>/    customer_id, usage_date, sessions, minutes_used,
                                        features_used

    python runners/sample_data/generate_churn.py --lake data/lake --date 2026-01-01 --customers 5000
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

if __package__ in (None, ""):  # run as a script: make `runners` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from runners.engines.churn_sources import raw_sources  # noqa: E402

PLANS = np.array(["basic", "standard", "premium"])
PLAN_FEES = np.array([9.99, 19.99, 39.99])
REGIONS = np.array(["north", "south", "east", "west"])
USAGE_DAYS = 30  # product usage over the 30 days before the snapshot
BILLING_MONTHS = 3  # payments over the 3 months before it


def source_folder(lake: Path, source: str, date: dt.date) -> Path:
    return lake / "raw" / source / date.isoformat()


def generate(lake: Path, date: dt.date, customers: int, seed: int = 7,
             signal: bool = True) -> dict[str, int]:
    """Write the four sources for `date`, replacing earlier ones; return rows per source."""
    rng = np.random.default_rng(seed)
    engagement = rng.normal(0.0, 1.0, customers)
    ids = np.array([f"C{i:07d}" for i in range(customers)])
    tenure_days = rng.integers(30, 1800, customers)
    plan = rng.choice(3, customers, p=[0.5, 0.35, 0.15])
    churn_score = (-1.9 * engagement - 0.0006 * tenure_days + 0.5 * (plan == 0)
                   + rng.normal(0.0, 0.2, customers))
    churned = churn_score > np.quantile(churn_score, 0.75)  # a quarter churn
    if not signal:
        churned = rng.permutation(churned)

    midnight = dt.datetime.combine(date, dt.time(), dt.UTC)
    tables = {
        "customer_data": _customers(rng, ids, date, tenure_days, plan, churned),
        "transactions": _payments(rng, ids, midnight, plan, engagement),
        "support_tickets": _tickets(rng, ids, midnight, engagement),
        "product_usage": _usage(rng, ids, date, engagement),
    }
    declared = raw_sources()
    if set(tables) != set(declared):
        raise ValueError(f"sources {sorted(tables)} are not the declared {sorted(declared)}")
    for source, table in tables.items():
        table = conform(table, declared[source].schema, source)
        tables[source] = table
        folder = source_folder(lake, source, date)
        shutil.rmtree(folder, ignore_errors=True)  # a re-run replaces, never appends
        folder.mkdir(parents=True)
        pq.write_table(table, folder / "part-00000.parquet")
    return {source: table.num_rows for source, table in tables.items()}


def conform(table: pa.Table, schema: pa.Schema, source: str) -> pa.Table:
    """The table with the declared columns, in their order and types (churn_sources.sql)."""
    if set(table.column_names) != set(schema.names):
        raise ValueError(f"{source}: generated {sorted(table.column_names)}, declared "
                         f"{sorted(schema.names)} (sql/spark/churn/churn_sources.sql)")
    return table.select(schema.names).cast(schema)


def _customers(rng, ids, date, tenure_days, plan, churned) -> pa.Table:
    signup = [date - dt.timedelta(days=int(d)) for d in tenure_days]
    return pa.table({
        "customer_id": ids,
        "signup_date": pa.array(signup, pa.date32()),
        "plan": PLANS[plan],
        "monthly_fee": PLAN_FEES[plan],
        "region": rng.choice(REGIONS, len(ids)),
        "age": rng.integers(18, 80, len(ids)).astype(np.int32),
        "churned": churned,
    })


def _payments(rng, ids, midnight, plan, engagement) -> pa.Table:
    fail_chance = 1 / (1 + np.exp(2.0 + 1.2 * engagement))  # disengaged cards lapse
    customer = np.repeat(np.arange(len(ids)), BILLING_MONTHS)
    month = np.tile(np.arange(1, BILLING_MONTHS + 1), len(ids))
    failed = rng.random(len(customer)) < fail_chance[customer]
    extras = rng.gamma(1.5, 8.0, len(customer)) * (rng.random(len(customer)) < 0.3)
    paid_at = [midnight - dt.timedelta(days=int(30 * m - 1), seconds=int(s))
               for m, s in zip(month, rng.integers(0, 86_400, len(customer)), strict=True)]
    return pa.table({
        "transaction_id": [f"P{i:09d}" for i in range(len(customer))],
        "customer_id": ids[customer],
        "amount": np.round(PLAN_FEES[plan][customer] + extras, 2),
        "status": np.where(failed, "failed", "succeeded"),
        "paid_at": pa.array(paid_at, pa.timestamp("us", tz="UTC")),
    })


def _tickets(rng, ids, midnight, engagement) -> pa.Table:
    counts = rng.poisson(np.exp(-0.4 - 0.8 * engagement))
    customer = np.repeat(np.arange(len(ids)), counts)
    n = len(customer)
    happy = 1 / (1 + np.exp(-(0.3 + 1.2 * engagement[customer])))
    satisfaction = np.clip(np.round(1 + 4 * happy + rng.normal(0, 0.7, n)), 1, 5)
    rated = rng.random(n) < 0.7
    opened_at = [midnight - dt.timedelta(seconds=int(s))
                 for s in rng.integers(0, 90 * 86_400, n)]
    return pa.table({
        "ticket_id": [f"S{i:08d}" for i in range(n)],
        "customer_id": ids[customer],
        "opened_at": pa.array(opened_at, pa.timestamp("us", tz="UTC")),
        "priority": rng.choice(np.array(["low", "medium", "high"]), n, p=[0.5, 0.35, 0.15]),
        "resolved": rng.random(n) < happy,
        "satisfaction": pa.array(np.where(rated, satisfaction, 0).astype(np.int32),
                                 mask=~rated),
    })


def _usage(rng, ids, date, engagement) -> pa.Table:
    active_chance = 1 / (1 + np.exp(-(0.2 + 1.5 * engagement)))
    customer = np.repeat(np.arange(len(ids)), USAGE_DAYS)
    day = np.tile(np.arange(1, USAGE_DAYS + 1), len(ids))
    # Disengaged customers fade: less activity in the last days than earlier.
    fading = np.where(engagement[customer] < 0, day / USAGE_DAYS, 1.0)
    active = rng.random(len(customer)) < active_chance[customer] * (0.4 + 0.6 * fading)
    customer, day = customer[active], day[active]
    sessions = 1 + rng.poisson(np.exp(0.5 + 0.5 * engagement[customer]))
    minutes_per_session = rng.gamma(2.0, 4.0 + 4.0 / (1 + np.exp(-engagement[customer])))
    minutes = np.round(sessions * minutes_per_session, 1)
    return pa.table({
        "customer_id": ids[customer],
        "usage_date": pa.array([date - dt.timedelta(days=int(USAGE_DAYS - d)) for d in day],
                               pa.date32()),
        "sessions": sessions.astype(np.int32),
        "minutes_used": minutes,
        "features_used": np.minimum(sessions, rng.integers(1, 12, len(customer))).astype(np.int32),
    })


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", type=Path, help="default: the local profile's lake_path")
    parser.add_argument("--date", type=dt.date.fromisoformat, default=dt.date(2026, 1, 1),
                        help="the snapshot day (YYYY-MM-DD), the DAG run's logical date")
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-signal", action="store_true",
                        help="labels unrelated to behaviour: the model fails the F1 gate")
    args = parser.parse_args(argv)
    if args.customers < 10:
        parser.error("--customers must be at least 10")
    if args.lake is None:
        from runners.profiles import load_profile

        args.lake = Path(load_profile("local").vars["lake_path"])
    counts = generate(args.lake, args.date, args.customers, args.seed, signal=not args.no_signal)
    print(", ".join(f"{source}: {n:,} rows" for source, n in counts.items()),
          f"under {args.lake / 'raw'} for {args.date}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
