-- file_source: the benchmark's input, a JSON-lines file replayed once (bounded).
--
-- Computes: nothing; declares transaction_lines as connectors/files.sql does.
-- Inputs: the files under ${transactions_path}.
-- Outputs: transaction_lines (line STRING, source_partition STRING).
-- Parameters: transactions_path.
-- @param transactions_path = data/bench/transactions

-- The flink dialect of the linter requires a column list before LIKE, which Flink does not.
-- noqa: disable=all
CREATE TEMPORARY TABLE transaction_lines (
    source_partition STRING NOT NULL METADATA FROM 'file.path' VIRTUAL
) WITH (
    'connector' = 'filesystem',
    'path' = '${transactions_path}',
    'format' = 'raw'
)
LIKE transaction_line_schema;
-- noqa: enable=all
