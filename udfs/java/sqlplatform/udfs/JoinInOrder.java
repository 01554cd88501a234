package sqlplatform.udfs;

import java.util.Arrays;
import java.util.Comparator;
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
        if (text == null) {
            return;
        }
        Integer[] positions = (Integer[]) accumulator.getField(0);
        String[] texts = (String[]) accumulator.getField(1);
        Integer[] morePositions = Arrays.copyOf(positions, positions.length + 1);
        String[] moreTexts = Arrays.copyOf(texts, texts.length + 1);
        morePositions[positions.length] = position;
        moreTexts[texts.length] = text;
        accumulator.setField(0, morePositions);
        accumulator.setField(1, moreTexts);
        accumulator.setField(2, separator);
    }

    @Override
    public String getValue(Row accumulator) {
        Integer[] positions = (Integer[]) accumulator.getField(0);
        String[] texts = (String[]) accumulator.getField(1);
        if (texts.length == 0) {
            return null;
        }
        Integer[] order = new Integer[texts.length];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.<Integer, Integer>comparing(
                        i -> positions[i], Comparator.nullsLast(Comparator.naturalOrder()))
                .thenComparing(i -> texts[i]));
        StringBuilder joined = new StringBuilder(texts[order[0]]);
        String separator = (String) accumulator.getField(2);
        for (int i = 1; i < order.length; i++) {
            joined.append(separator == null ? "" : separator).append(texts[order[i]]);
        }
        return joined.toString();
    }
}
