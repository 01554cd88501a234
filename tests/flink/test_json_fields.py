"""json_fields (udfs/java) against Flink's own JSON_VALUE and JSON_EXISTS, line by line.

transactions.sql parses each line once with json_fields instead of once per field with
JSON_VALUE; the dead letters and every detector depend on the two agreeing, so the reference
here is Flink's JSON_VALUE itself, on lines chosen to differ: numbers written in every form,
strings that look like numbers, nulls, objects and arrays where a scalar is expected, repeated
keys, escapes, and text that is not JSON at all.
"""

from __future__ import annotations

import pytest

from runners.engines import flink_sql

KEYS = ["transactionId", "amount", "timestamp", "merchantCategory"]
LINES = [
    '{"transactionId": "t1", "amount": 12.50, "timestamp": 1767225600000}',
    '{"transactionId": "t2", "amount": "12.50", "timestamp": "1767225600000"}',
    '{"transactionId": 42, "amount": 12, "timestamp": 1.7672256E12}',
    '{"transactionId": "t4", "amount": 1e3, "timestamp": -5}',
    '{"transactionId": "t5", "amount": 1.0E+2, "timestamp": 17672256000000000000000}',
    '{"transactionId": "t6", "amount": -0.0, "timestamp": 0}',
    '{"transactionId": true, "amount": false, "timestamp": null}',
    '{"transactionId": {"id": "x"}, "amount": [1, 2], "timestamp": {}}',
    '{"other": {"amount": 5}, "amount": 7, "list": [{"transactionId": "no"}]}',
    '{"amount": 1, "amount": 2, "transactionId": "t10", "transactionId": null}',
    '{"transactionId": "caf\\u00e9 \\"q\\" \\\\", "merchantCategory": ""}',
    '  {"transactionId": "t12"}  ',
    '{"transactionId": "t13"} trailing words',
    '{"merchantCategory": "CRYPTO", "amount": 0.1000}',
    '{}',
    '[1, 2]',
    '5',
    '"text"',
    'null',
    'not json',
    '',
    '   ',
    '{"transactionId": "t1"',
    '{"transactionId": "t1",}',
    '{"amount": 01}',
    '{"amount": NaN}',
    "{'transactionId': 't1'}",
    '{"a": [1, {"b": [}',
]


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    from pyflink.table import EnvironmentSettings, TableEnvironment

    folder = tmp_path_factory.mktemp("json_lines")
    (folder / "lines.txt").write_text("\n".join(LINES) + "\n")
    t_env = TableEnvironment.create(EnvironmentSettings.in_batch_mode())
    # The job's jars: udfs/java's service file names a connector that needs the JDBC jars.
    t_env.get_config().set("pipeline.jars", flink_sql.base_config({}, None)["pipeline.jars"])
    t_env.execute_sql("CREATE TEMPORARY FUNCTION json_fields AS "
                      "'sqlplatform.udfs.JsonFields' LANGUAGE JAVA")
    t_env.execute_sql(f"CREATE TEMPORARY TABLE lines (line STRING) WITH ("
                      f"'connector' = 'filesystem', 'path' = '{folder}', 'format' = 'raw')")
    names = ", ".join(f"'{k}'" for k in KEYS)
    # Strings only (PyFlink cannot hand back an array holding NULLs); NULL spelled out.
    pairs = ", ".join(f"coalesce(json_fields(line, {names})[{i}], '<NULL>'), "
                      f"coalesce(json_value(line, '$.{k}'), '<NULL>')"
                      for i, k in enumerate(KEYS, start=1))
    query = (f"SELECT line, json_exists(line, '$'), json_fields(line, {names}) IS NULL, {pairs} "
             "FROM lines")
    with t_env.execute_sql(query).collect() as results:
        return {row[0]: row for row in results}


def test_every_line_was_read(rows):
    assert set(rows) == set(LINES)


@pytest.mark.parametrize("line", LINES)
def test_json_fields_is_json_value_of_each_key(rows, line):
    _, exists, no_fields, *pairs = rows[line]
    assert no_fields == (exists is not True)
    if exists:
        ours, flinks = pairs[0::2], pairs[1::2]
        assert ours == flinks


def test_a_line_asked_twice_is_parsed_once(rows):
    """transactions.sql asks for the timestamp (the watermark) and then the fields, two calls
    per line: the second reads the first's parse. On the client's JVM, as the job's would."""
    from pyflink.java_gateway import get_gateway

    gateway = get_gateway()
    function = gateway.jvm.sqlplatform.udfs.JsonFields()
    JsonFields = gateway.jvm.sqlplatform.udfs.JsonFields

    def names(*keys: str):
        array = gateway.new_array(gateway.jvm.String, len(keys))
        for i, key in enumerate(keys):
            array[i] = key
        return array

    before = JsonFields.parsesOnThisThread()
    for line in LINES[:3]:
        assert list(function.eval(line, names("timestamp")))[0] is not None
        assert len(list(function.eval(line, names(*KEYS)))) == len(KEYS)
    assert JsonFields.parsesOnThisThread() - before == 3
    assert list(function.eval(LINES[0], names("transactionId"))) == ["t1"]
    assert JsonFields.parsesOnThisThread() - before == 4  # a new line: parsed
