"""Model training and evaluation that the DAGs call (the churn model); not shipped to the Flink
job's workers, which get udfs/ only."""
