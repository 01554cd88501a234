package sqlplatform.ml;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The nodes of an ONNX file's graph, read straight from its protobuf encoding: enough for
 * {@link TreeEnsembleScorer} to see which operators the model is made of and their attributes.
 *
 * <p>Why not ONNX Runtime: its Java API does not show a graph's nodes. Why not the protobuf
 * library: the classes generated from onnx.proto are not on Maven Central, and the few fields
 * read here (ModelProto.graph; GraphProto.node, input, output; NodeProto.input, output,
 * op_type, domain, attribute; AttributeProto.name, f, i, s, floats, ints, strings) take a page
 * of the wire format. Field numbers are onnx.proto's.
 */
final class OnnxGraph {
    /** One node: its operator, its inputs and outputs by name, its attributes by name. */
    record Node(String opType, String domain, List<String> inputs, List<String> outputs,
                Map<String, Attribute> attributes) {
        Attribute attribute(String name) {
            return attributes.get(name);
        }
    }

    /** An attribute's value, in whichever of its fields the file set. */
    static final class Attribute {
        float f;
        long i;
        String s;
        final List<Float> floats = new ArrayList<>();
        final List<Long> ints = new ArrayList<>();
        final List<String> strings = new ArrayList<>();

        float[] floatArray() {
            float[] values = new float[floats.size()];
            for (int k = 0; k < values.length; k++) {
                values[k] = floats.get(k);
            }
            return values;
        }

        int[] intArray() {
            return ints.stream().mapToInt(Math::toIntExact).toArray();
        }
    }

    final List<Node> nodes = new ArrayList<>();
    final List<String> inputs = new ArrayList<>();
    final List<String> outputs = new ArrayList<>();

    /** The graph of an ONNX file's bytes. */
    static OnnxGraph parse(byte[] file) {
        Reader model = new Reader(ByteBuffer.wrap(file));
        OnnxGraph graph = new OnnxGraph();
        while (model.more()) {
            int field = model.tag();
            if (field == 7) { // ModelProto.graph
                graph.readGraph(model.message());
            } else {
                model.skip();
            }
        }
        return graph;
    }

    private void readGraph(Reader graph) {
        while (graph.more()) {
            switch (graph.tag()) {
                case 1 -> nodes.add(readNode(graph.message()));
                case 11 -> inputs.add(valueName(graph.message()));
                case 12 -> outputs.add(valueName(graph.message()));
                default -> graph.skip();
            }
        }
    }

    private static String valueName(Reader value) {
        String name = "";
        while (value.more()) {
            if (value.tag() == 1) {
                name = value.string();
            } else {
                value.skip();
            }
        }
        return name;
    }

    private static Node readNode(Reader node) {
        String opType = "";
        String domain = "";
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        Map<String, Attribute> attributes = new HashMap<>();
        while (node.more()) {
            switch (node.tag()) {
                case 1 -> inputs.add(node.string());
                case 2 -> outputs.add(node.string());
                case 4 -> opType = node.string();
                case 7 -> domain = node.string();
                case 5 -> {
                    Reader attribute = node.message();
                    Attribute value = new Attribute();
                    String name = "";
                    while (attribute.more()) {
                        switch (attribute.tag()) {
                            case 1 -> name = attribute.string();
                            case 2 -> value.f = attribute.fixed32();
                            case 3 -> value.i = attribute.varint();
                            case 4 -> value.s = attribute.string();
                            case 7 -> attribute.repeated(r -> value.floats.add(r.fixed32()));
                            case 8 -> attribute.repeated(r -> value.ints.add(r.varint()));
                            case 9 -> value.strings.add(attribute.string());
                            default -> attribute.skip(); // tensors, graphs, types: not read
                        }
                    }
                    attributes.put(name, value);
                }
                default -> node.skip();
            }
        }
        return new Node(opType, domain, inputs, outputs, attributes);
    }

    /** Protobuf's wire format over a buffer: a tag, then its field's value. */
    private static final class Reader {
        private final ByteBuffer bytes;
        private int wireType;

        Reader(ByteBuffer bytes) {
            this.bytes = bytes.order(ByteOrder.LITTLE_ENDIAN);
        }

        boolean more() {
            return bytes.hasRemaining();
        }

        /** The next field's number (its wire type is kept for the read that follows). */
        int tag() {
            long key = varint();
            wireType = (int) (key & 7);
            return (int) (key >>> 3);
        }

        long varint() {
            long value = 0;
            for (int shift = 0; ; shift += 7) {
                byte b = bytes.get();
                value |= (long) (b & 0x7f) << shift;
                if (b >= 0) {
                    return value;
                }
            }
        }

        float fixed32() {
            return bytes.getFloat();
        }

        Reader message() {
            int length = Math.toIntExact(varint());
            ByteBuffer slice = bytes.slice(bytes.position(), length);
            bytes.position(bytes.position() + length);
            return new Reader(slice);
        }

        String string() {
            Reader value = message();
            byte[] text = new byte[value.bytes.remaining()];
            value.bytes.get(text);
            return new String(text, StandardCharsets.UTF_8);
        }

        /** A repeated scalar: packed in one field (wire type 2), or one value a field. */
        void repeated(Consumer<Reader> readOne) {
            if (wireType == 2) {
                Reader packed = message();
                while (packed.more()) {
                    readOne.accept(packed);
                }
            } else {
                readOne.accept(this);
            }
        }

        void skip() {
            switch (wireType) {
                case 0 -> varint();
                case 1 -> bytes.position(bytes.position() + 8);
                case 2 -> message();
                case 5 -> bytes.position(bytes.position() + 4);
                default -> throw new IllegalStateException("wire type " + wireType
                        + " at byte " + bytes.position() + ": not an ONNX file");
            }
        }
    }
}
