package sqlplatform.udfs;

import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.FunctionHint;
import org.apache.flink.table.functions.AggregateFunction;
import org.apache.flink.types.Row;

/**
 * {@code previous_value(x) OVER (... ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)}: x of the
 * row before the current one, in the window's order; NULL on the first row.
 *
 * <p>It is LAG(x) over a ROWS frame. Flink's LAG takes the RANGE frame, where rows tied on the
 * order key share one value, and a ROWS BETWEEN 1 PRECEDING AND CURRENT ROW frame with
 * FIRST_VALUE keeps every row in keyed state twice; this keeps two values per key.
 */
@FunctionHint(
        input = @DataTypeHint("DOUBLE"),
        accumulator = @DataTypeHint("ROW<latest DOUBLE, previous DOUBLE>"),
        output = @DataTypeHint("DOUBLE"))
@FunctionHint(
        input = @DataTypeHint("BIGINT"),
        accumulator = @DataTypeHint("ROW<latest BIGINT, previous BIGINT>"),
        output = @DataTypeHint("BIGINT"))
public class PreviousValue extends AggregateFunction<Object, Row> {

    @Override
    public Row createAccumulator() {
        return Row.of(null, null);
    }

    public void accumulate(Row accumulator, Object value) {
        accumulator.setField(1, accumulator.getField(0));
        accumulator.setField(0, value);
    }

    @Override
    public Object getValue(Row accumulator) {
        return accumulator.getField(1);
    }
}
