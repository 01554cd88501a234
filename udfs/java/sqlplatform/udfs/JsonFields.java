package sqlplatform.udfs;

import org.apache.flink.table.functions.ScalarFunction;

import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonFactory;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonParser;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code json_fields(line, 'a', 'b', ...)}: the top-level fields a, b, ... of a JSON text, parsed
 * once, as an ARRAY of STRING in the order asked.
 *
 * <p>Element i is what {@code JSON_VALUE(line, '$.<name i>')} returns: a string's text, a
 * number's or a boolean's text, and NULL for a missing field, a JSON null, an object or an array
 * (or when the text is not an object). The array itself is NULL when the text is not JSON or is
 * JSON's null, where {@code JSON_EXISTS(line, '$')} is false. Flink 2.2's JSON_VALUE parses the text again for every
 * field; tests/flink/test_json_fields.py checks that both agree, line by line.
 *
 * <p>One parse per line: the last line parsed on this thread is kept with all its top-level
 * fields, so another call on the same line (the watermark's timestamp, which a source with
 * watermark push-down such as Kafka's evaluates before the fields' projection) reads it
 * instead of parsing again. Equal text is the test, not the same object: a line reaches the
 * two calls as two Strings.
 */
public class JsonFields extends ScalarFunction {
    // Fixed, so a job graph serialized by one build reads in another (a restart after an edit).
    private static final long serialVersionUID = 1L;
    private static final JsonFactory FACTORY = new JsonFactory();
    private static final ThreadLocal<ParsedLine> LAST_PARSED = ThreadLocal.withInitial(ParsedLine::new);

    /** A line and its top-level fields; fields null when the line is not JSON, or is null. */
    private static final class ParsedLine {
        String line;
        Map<String, String> fields;
        long parses; // how many lines this thread has parsed
    }

    /** How many lines this thread has parsed (tests/flink/test_json_fields.py). */
    public static long parsesOnThisThread() {
        return LAST_PARSED.get().parses;
    }

    public String[] eval(String line, String... names) {
        if (line == null) {
            return null;
        }
        ParsedLine parsed = LAST_PARSED.get();
        if (!line.equals(parsed.line)) {
            parsed.fields = fieldsOf(line);
            parsed.line = line;
            parsed.parses++;
        }
        if (parsed.fields == null) {
            return null;
        }
        String[] values = new String[names.length];
        for (int i = 0; i < names.length; i++) {
            values[i] = parsed.fields.get(names[i]);
        }
        return values;
    }

    /** Every top-level field's scalar text (null for JSON null, an object or an array); an
     * empty map for JSON that is not an object; null when the text is not JSON or is null. */
    private static Map<String, String> fieldsOf(String line) {
        Map<String, String> fields = new HashMap<>();
        try (JsonParser parser = FACTORY.createParser(line)) {
            JsonToken token = parser.nextToken();
            if (token == null || token == JsonToken.VALUE_NULL) {
                return null; // no content, or null: nothing exists at $
            }
            if (token != JsonToken.START_OBJECT) {
                parser.skipChildren();
                return fields;
            }
            while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                token = parser.nextToken();
                fields.put(name, scalarText(parser, token)); // a repeated name keeps its last
            }
            return token == JsonToken.END_OBJECT ? fields : null;
        } catch (IOException malformed) {
            return null;
        }
    }

    /** The text JSON_VALUE gives a scalar; null for JSON null, and for an object or an array. */
    private static String scalarText(JsonParser parser, JsonToken token) throws IOException {
        switch (token) {
            case VALUE_STRING:
                return parser.getText();
            case VALUE_NUMBER_INT:
                return parser.getNumberValue().toString();
            case VALUE_NUMBER_FLOAT:
                // Flink reads floats as BigDecimal (USE_BIG_DECIMAL_FOR_FLOATS): "12.50" stays.
                return parser.getDecimalValue().toString();
            case VALUE_TRUE:
                return "true";
            case VALUE_FALSE:
                return "false";
            case START_OBJECT:
            case START_ARRAY:
                parser.skipChildren();
                return null;
            default:
                return null;
        }
    }
}
