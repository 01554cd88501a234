package sqlplatform.udfs;

import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.FunctionHint;
import org.apache.flink.table.functions.AggregateFunction;
import org.apache.flink.types.Row;

/**
 * {@code join_in_order(text, position, separator)}: the group's texts joined by the separator,
 * in the order of position (then of text); NULL texts are skipped, and a group without a text
 * gives NULL.
 *
 * <p>It is {@code LISTAGG(text, separator) WITHIN GROUP (ORDER BY position, text)}, which Flink
 * does not have: its LISTAGG joins in arrival order, so the same rows could give two strings.
 */
@FunctionHint(
        input = {@DataTypeHint("STRING"), @DataTypeHint("INT"), @DataTypeHint("STRING")},
        accumulator = @DataTypeHint(
                "ROW<positions ARRAY<INT>, texts ARRAY<STRING>, separator STRING>"),
        output = @DataTypeHint("STRING"))
public class JoinInOrder extends AggregateFunction<String, Row> {

    @Override
    public Row createAccumulator() {
        return Row.of(new Integer[0], new String[0], null);
    }

    public void accumulate(Row accumulator, String text, Integer position, String separator) {
        if (text != null) {
            PositionOrder.append(accumulator, text, position);
            accumulator.setField(2, separator);
        }
    }

    @Override
    public String getValue(Row accumulator) {
        String[] texts = PositionOrder.order(accumulator);
        String separator = (String) accumulator.getField(2);
        return texts.length == 0 ? null : String.join(separator == null ? "" : separator, texts);
    }
}
