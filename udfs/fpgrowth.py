"""The FPGrowth step: MLlib's distributed FP-growth over baskets that SQL defines.

Called from a .sql file as

    -- @step udfs.fpgrowth.mine baskets=VIEW support=0.01 confidence=0.3

It reads the view's `items` column (an array of distinct strings per basket) and creates two
views for the SQL that follows: fpgrowth_itemsets (items, freq) and fpgrowth_rules (antecedent,
consequent, confidence, lift, support).
"""

from __future__ import annotations

from pyspark.sql import SparkSession
from pyspark.sql.types import (
    ArrayType,
    DoubleType,
    LongType,
    StringType,
    StructField,
    StructType,
)

ITEMSETS_VIEW = "fpgrowth_itemsets"
RULES_VIEW = "fpgrowth_rules"
ITEMSETS_SCHEMA = StructType([
    StructField("items", ArrayType(StringType(), False), False),
    StructField("freq", LongType(), False),
])
RULES_SCHEMA = StructType([
    StructField("antecedent", ArrayType(StringType(), False), False),
    StructField("consequent", ArrayType(StringType(), False), False),
    StructField("confidence", DoubleType(), False),
    StructField("lift", DoubleType(), True),
    StructField("support", DoubleType(), False),
])


def mine(spark: SparkSession, *, baskets: str, support: str, confidence: str,
         dry_run: bool = False) -> None:
    min_support, min_confidence = _fraction("support", support), _fraction("confidence", confidence)
    data = spark.table(baskets)
    item_type = data.schema["items"].dataType if "items" in data.columns else None
    if not isinstance(item_type, ArrayType):
        raise ValueError(f"view {baskets} needs an array column named items, has {data.columns}")
    if dry_run or data.isEmpty():
        _empty(spark, ITEMSETS_SCHEMA).createOrReplaceTempView(ITEMSETS_VIEW)
        _empty(spark, RULES_SCHEMA).createOrReplaceTempView(RULES_VIEW)
        return
    from pyspark.ml.fpm import FPGrowth

    model = FPGrowth(itemsCol="items", minSupport=min_support,
                     minConfidence=min_confidence).fit(data)
    # freqItemsets is a lazy plan that re-mines on every use; cache it so the itemsets and the
    # rules (derived from the same plan) are mined once.
    model.freqItemsets.cache().createOrReplaceTempView(ITEMSETS_VIEW)
    model.associationRules.createOrReplaceTempView(RULES_VIEW)


def _fraction(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None
    if not 0.0 < value <= 1.0:
        raise ValueError(f"{name} must be in (0, 1], got {value}")
    return value


def _empty(spark: SparkSession, schema: StructType):
    return spark.createDataFrame([], schema)
