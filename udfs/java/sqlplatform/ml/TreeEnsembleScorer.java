package sqlplatform.ml;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A binary tree-ensemble classifier of an ONNX file (scikit-learn's gradient boosting or random
 * forest, exported by skl2onnx), scored in plain Java: the probability of the second class,
 * computed as ONNX Runtime computes it, in float, in the same order.
 *
 * <p>Why: a row costs the trees a fraction of a microsecond, and an ONNX Runtime call a few
 * microseconds of its own (JNI, tensors, the session), so a call a row would be most of the
 * model's price, and batches need an async operator and a timer (docs/performance.md).
 * Scoring here needs neither.
 *
 * <p>What it takes: from the graph's input, any Imputer (float) and Identity nodes, then one
 * TreeEnsembleClassifier (ai.onnx.ml) with two class labels, float attributes, post_transform
 * NONE or LOGISTIC and at most one base value, whose probabilities reach the output named
 * {@code probabilities} through Identity nodes. {@link #compile} says why anything else is
 * not taken; the provider then scores with ONNX Runtime.
 *
 * <p>Which ONNX Runtime code it follows (onnxruntime/core/providers/cpu/ml): the trees' order
 * and traversal of tree_ensemble_common.h (a tree's root is its first node; BRANCH_* compare
 * the float feature with the float threshold; a NaN goes to the true branch only where
 * missing_value_tracks_true is 1), the sums and the binary case of
 * tree_ensemble_aggregator.h, and ComputeLogistic of ml_common.h.
 */
final class TreeEnsembleScorer {
    /** The file's graph is not one this class scores; the message says what it has. */
    static final class Unsupported extends Exception {
        Unsupported(String message) {
            super(message);
        }
    }

    private static final byte LEAF = 0;
    private static final byte LEQ = 1;
    private static final byte LT = 2;
    private static final byte GTE = 3;
    private static final byte GT = 4;
    private static final byte EQ = 5;
    private static final byte NEQ = 6;
    private static final List<String> MODES =
            List.of("LEAF", "BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE", "BRANCH_GT", "BRANCH_EQ",
                    "BRANCH_NEQ");

    /** An Imputer node: a feature equal to {@code replaced} (or NaN, for a NaN) becomes its
     * value (one for all features, or one a feature). */
    private record Imputer(float[] values, float replaced) {
        void impute(float[] x) {
            for (int k = 0; k < x.length; k++) {
                boolean missing = Float.isNaN(replaced) ? Float.isNaN(x[k]) : x[k] == replaced;
                if (missing) {
                    x[k] = values.length == 1 ? values[0] : values[k];
                }
            }
        }
    }

    private final List<Imputer> imputers;
    private final int[] roots;
    private final byte[] mode;
    private final int[] feature;
    private final float[] threshold;
    private final boolean[] missingTracksTrue;
    private final int[] trueNode;
    private final int[] falseNode;
    private final int[] firstWeight; // a leaf's weights: weightClass/weightValue from here ...
    private final int[] weightCount; // ... this many
    private final int[] weightClass;
    private final float[] weightValue;
    private final float[] baseValues;
    private final boolean logistic;
    private final boolean binaryCase; // every weight is for one class
    private final boolean weightsAllPositive;

    private TreeEnsembleScorer(List<Imputer> imputers, OnnxGraph.Node trees, int labels,
                               int features) throws Unsupported {
        this.imputers = imputers;
        int[] treeIds = ints(trees, "nodes_treeids");
        int[] nodeIds = ints(trees, "nodes_nodeids");
        int n = treeIds.length;
        mode = new byte[n];
        List<String> modes = strings(trees, "nodes_modes");
        feature = ints(trees, "nodes_featureids");
        threshold = floats(trees, "nodes_values");
        if (nodeIds.length != n || modes.size() != n || feature.length != n
                || threshold.length != n) {
            throw new Unsupported("nodes_* attributes of different lengths");
        }
        for (int k = 0; k < n; k++) {
            if (feature[k] < 0 || feature[k] >= features) {
                throw new Unsupported("a node reads feature " + feature[k] + " of " + features);
            }
        }
        for (int k = 0; k < n; k++) {
            int m = MODES.indexOf(modes.get(k));
            if (m < 0) {
                throw new Unsupported("node mode " + modes.get(k));
            }
            mode[k] = (byte) m;
        }
        OnnxGraph.Attribute missing = trees.attribute("nodes_missing_value_tracks_true");
        missingTracksTrue = new boolean[n];
        for (int k = 0; missing != null && k < Math.min(n, missing.ints.size()); k++) {
            missingTracksTrue[k] = missing.ints.get(k) == 1;
        }
        Map<Long, Integer> index = new HashMap<>();
        List<Integer> rootList = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            if (index.put(key(treeIds[k], nodeIds[k]), k) != null) {
                throw new Unsupported("node " + nodeIds[k] + " of tree " + treeIds[k]
                        + " is there twice");
            }
            if (k == 0 || treeIds[k] != treeIds[k - 1]) {
                rootList.add(k);
            }
        }
        roots = rootList.stream().mapToInt(Integer::intValue).toArray();
        trueNode = children(ints(trees, "nodes_truenodeids"), treeIds, nodeIds, index);
        falseNode = children(ints(trees, "nodes_falsenodeids"), treeIds, nodeIds, index);

        // A leaf's weights, in the order of the file (ONNX Runtime sorts them by tree, node
        // and position, and sums a class's in that order).
        int[] weightTrees = ints(trees, "class_treeids");
        int[] weightNodes = ints(trees, "class_nodeids");
        int[] classIds = ints(trees, "class_ids");
        float[] weights = floats(trees, "class_weights");
        Integer[] order = new Integer[weights.length];
        Arrays.setAll(order, k -> k);
        Arrays.sort(order, Comparator.comparingInt((Integer k) -> weightTrees[k])
                .thenComparingInt(k -> weightNodes[k]).thenComparingInt(k -> k));
        firstWeight = new int[n];
        weightCount = new int[n];
        weightClass = new int[weights.length];
        weightValue = new float[weights.length];
        boolean allPositive = true;
        int used = 0;
        long firstClass = classIds.length > 0 ? classIds[0] : -1;
        boolean oneClass = true;
        for (int k : order) {
            Integer leaf = index.get(key(weightTrees[k], weightNodes[k]));
            if (leaf == null) {
                throw new Unsupported("a weight for node " + weightNodes[k] + " of tree "
                        + weightTrees[k] + ", which is not there");
            }
            if (classIds[k] < 0 || classIds[k] >= labels) {
                throw new Unsupported("a weight for class " + classIds[k]);
            }
            allPositive &= !(weights[k] < 0);
            oneClass &= classIds[k] == firstClass;
            if (mode[leaf] != LEAF) {
                continue; // as ONNX Runtime: a weight on a branch is ignored
            }
            if (weightCount[leaf]++ == 0) {
                firstWeight[leaf] = used;
            }
            weightClass[used] = classIds[k];
            weightValue[used++] = weights[k];
        }
        for (int k = 0; k < n; k++) {
            if (mode[k] == LEAF && weightCount[k] == 0) {
                throw new Unsupported("leaf " + nodeIds[k] + " of tree " + treeIds[k]
                        + " has no weight");
            }
        }
        weightsAllPositive = allPositive;
        binaryCase = oneClass;
        baseValues = trees.attribute("base_values") == null ? new float[0]
                : floats(trees, "base_values");
        String transform = trees.attribute("post_transform") == null ? "NONE"
                : trees.attribute("post_transform").s;
        if (!transform.equals("NONE") && !transform.equals("LOGISTIC")) {
            throw new Unsupported("post_transform " + transform);
        }
        logistic = transform.equals("LOGISTIC");
        if (baseValues.length > 1) {
            throw new Unsupported(baseValues.length + " base_values");
        }
        if (!binaryCase && baseValues.length == 1) {
            // ONNX Runtime leaves the second probability unwritten for a row that reaches no
            // weight of the second class.
            throw new Unsupported("weights for both classes and one base value");
        }
    }

    /** The scorer of the file's graph, or Unsupported saying what it has instead. */
    static TreeEnsembleScorer compile(OnnxGraph graph, String output, int features)
            throws Unsupported {
        Map<String, OnnxGraph.Node> producers = new HashMap<>();
        for (OnnxGraph.Node node : graph.nodes) {
            node.outputs().forEach(name -> producers.put(name, node));
        }
        if (graph.inputs.size() != 1) {
            throw new Unsupported(graph.inputs.size() + " inputs");
        }
        String name = output;
        OnnxGraph.Node trees = null;
        List<Imputer> imputers = new ArrayList<>();
        while (!name.equals(graph.inputs.get(0))) {
            OnnxGraph.Node node = producers.get(name);
            if (node == null) {
                throw new Unsupported("no node makes " + name);
            }
            String op = node.opType();
            if (op.equals("TreeEnsembleClassifier") && trees == null
                    && node.outputs().indexOf(name) == 1) {
                trees = node;
            } else if (op.equals("Imputer") && trees != null) {
                imputers.add(0, imputer(node, features));
            } else if (!op.equals("Identity")) {
                throw new Unsupported("a " + op + " node on the way to " + output);
            }
            if (node.inputs().size() != 1) {
                throw new Unsupported("a " + op + " node of " + node.inputs().size() + " inputs");
            }
            name = node.inputs().get(0);
        }
        if (trees == null) {
            throw new Unsupported("no TreeEnsembleClassifier");
        }
        for (String unsupported : List.of("base_values_as_tensor", "nodes_values_as_tensor",
                "class_weights_as_tensor")) {
            if (trees.attribute(unsupported) != null) {
                throw new Unsupported("double attributes (" + unsupported + ")");
            }
        }
        OnnxGraph.Attribute labels = trees.attribute("classlabels_int64s");
        if (labels == null) {
            labels = trees.attribute("classlabels_strings");
        }
        int count = labels == null ? 0 : Math.max(labels.ints.size(), labels.strings.size());
        if (count != 2) {
            throw new Unsupported(count + " class labels; it scores binary classifiers");
        }
        return new TreeEnsembleScorer(imputers, trees, count, features);
    }

    /** The probability of the second class for one row's features (changed in place by the
     * imputers). */
    float score(float[] x) {
        for (Imputer imputer : imputers) {
            imputer.impute(x);
        }
        float score0 = 0;
        float score1 = 0;
        boolean has0 = false;
        boolean has1 = false;
        for (int root : roots) {
            int leaf = leaf(root, x);
            for (int w = firstWeight[leaf], end = w + weightCount[leaf]; w < end; w++) {
                if (weightClass[w] == 0) {
                    score0 += weightValue[w];
                    has0 = true;
                } else {
                    score1 += weightValue[w];
                    has1 = true;
                }
            }
        }
        // tree_ensemble_aggregator.h, TreeAggregatorClassifier::FinalizeScores, two classes;
        // a class no leaf gave a weight to reads as 0 there, whatever was added to it.
        int secondClass = -1;
        if (baseValues.length == 1) {
            score0 += baseValues[0];
        } else {
            secondClass = 3;
        }
        float value0 = has0 ? score0 : 0;
        if (has1) { // both scores are written
            float value1 = score1;
            return logistic ? logistic(value1) : value1;
        }
        if (binaryCase) {
            secondClass = weightsAllPositive ? (value0 > 0.5f ? 0 : 1) : (value0 > 0 ? 2 : 3);
        }
        // ml_common.h, write_scores, one score: the second class's probability is the score
        // itself, or its logistic for mixed weights.
        return (secondClass == 2 || secondClass == 3) && logistic ? logistic(value0) : value0;
    }

    private int leaf(int node, float[] x) {
        while (mode[node] != LEAF) {
            float value = x[feature[node]];
            float limit = threshold[node];
            boolean goesTrue = switch (mode[node]) {
                case LEQ -> value <= limit;
                case LT -> value < limit;
                case GTE -> value >= limit;
                case GT -> value > limit;
                case EQ -> value == limit;
                default -> value != limit;
            } || (missingTracksTrue[node] && Float.isNaN(value));
            node = goesTrue ? trueNode[node] : falseNode[node];
        }
        return node;
    }

    /** ml_common.h's ComputeLogistic, in float. */
    private static float logistic(float value) {
        float v = 1 / (1 + (float) Math.exp(-Math.abs(value)));
        return value < 0 ? 1 - v : v;
    }

    private static Imputer imputer(OnnxGraph.Node node, int features) throws Unsupported {
        OnnxGraph.Attribute values = node.attribute("imputed_value_floats");
        if (values == null || (values.floats.size() != 1 && values.floats.size() != features)) {
            throw new Unsupported("an Imputer without a float value, or one a feature");
        }
        OnnxGraph.Attribute replaced = node.attribute("replaced_value_float");
        return new Imputer(values.floatArray(), replaced == null ? 0f : replaced.f);
    }

    /** Each branch's child, as an index of the nodes' arrays. */
    private int[] children(int[] children, int[] treeIds, int[] nodeIds,
                           Map<Long, Integer> index) throws Unsupported {
        int[] indexes = new int[mode.length];
        for (int k = 0; k < mode.length; k++) {
            if (mode[k] == LEAF) {
                continue;
            }
            Integer child = k < children.length ? index.get(key(treeIds[k], children[k])) : null;
            if (child == null || child == k) {
                throw new Unsupported("node " + nodeIds[k] + " of tree " + treeIds[k]
                        + " has no child node, or itself");
            }
            indexes[k] = child;
        }
        return indexes;
    }

    private static long key(int tree, int node) {
        return ((long) tree << 32) | (node & 0xffffffffL);
    }

    private static int[] ints(OnnxGraph.Node node, String name) throws Unsupported {
        OnnxGraph.Attribute attribute = node.attribute(name);
        if (attribute == null) {
            throw new Unsupported("no " + name);
        }
        return attribute.intArray();
    }

    private static float[] floats(OnnxGraph.Node node, String name) throws Unsupported {
        OnnxGraph.Attribute attribute = node.attribute(name);
        if (attribute == null) {
            throw new Unsupported("no " + name);
        }
        return attribute.floatArray();
    }

    private static List<String> strings(OnnxGraph.Node node, String name) throws Unsupported {
        OnnxGraph.Attribute attribute = node.attribute(name);
        if (attribute == null) {
            throw new Unsupported("no " + name);
        }
        return attribute.strings;
    }
}
