package sqlplatform.udfs;

import org.apache.flink.table.functions.ScalarFunction;

import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonFactory;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonParser;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.util.Arrays;
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
 */
public class JsonFields extends ScalarFunction {
    private static final JsonFactory FACTORY = new JsonFactory();

    private transient String[] namesSeen;
    private transient Map<String, Integer> positions;

    public String[] eval(String line, String... names) {
        if (line == null) {
            return null;
        }
        Map<String, Integer> index = positionsOf(names);
        String[] values = new String[names.length];
        try (JsonParser parser = FACTORY.createParser(line)) {
            JsonToken token = parser.nextToken();
            if (token == null || token == JsonToken.VALUE_NULL) {
                return null; // no content, or null: nothing exists at $
            }
            if (token != JsonToken.START_OBJECT) {
                parser.skipChildren();
                return values;
            }
            while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
                Integer position = index.get(parser.currentName());
                token = parser.nextToken();
                String value = scalarText(parser, token);
                if (position != null) {
                    values[position] = value; // a repeated name keeps its last value
                }
            }
            if (token != JsonToken.END_OBJECT) {
                return null;
            }
            return values;
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

    private Map<String, Integer> positionsOf(String[] names) {
        if (!Arrays.equals(names, namesSeen)) { // literals: equal by reference, built once
            positions = new HashMap<>();
            for (int i = 0; i < names.length; i++) {
                positions.put(names[i], i);
            }
            namesSeen = names;
        }
        return positions;
    }
}
