package sqlplatform.ml;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;

import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.functions.PredictFunction;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Scores a row on the task's thread: its features as floats (NULL as NaN, which the model
 * treats as missing), the probability of the positive class, and the model's version.
 *
 * <p>A tree ensemble (what the training pipeline exports) is scored by
 * {@link TreeEnsembleScorer}, in plain Java, with ONNX Runtime's arithmetic; any other graph
 * by ONNX Runtime, a call a row. Which one, and why, is in the TaskManager's log.
 */
public class OnnxPredictFunction extends PredictFunction {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(OnnxPredictFunction.class);

    private final OnnxModelFile file;

    private transient TreeEnsembleScorer trees; // or, for another graph ...
    private transient OrtSession session; // ... ONNX Runtime
    private transient float[] features; // one row's, reused: a task scores a row at a time
    private transient StringData versionData;

    OnnxPredictFunction(OnnxModelFile file) {
        this.file = file;
    }

    @Override
    public void open(FunctionContext context) throws Exception {
        byte[] bytes = Files.readAllBytes(Path.of(file.path)); // read once: checked, then parsed
        String actual = OnnxModelFile.sha256Of(bytes);
        if (!actual.equals(file.sha256)) {
            throw new IllegalStateException("model file " + file.path + " changed after the job"
                    + " was planned: its sha256 is " + actual + ", not " + file.sha256);
        }
        try {
            trees = TreeEnsembleScorer.compile(OnnxGraph.parse(bytes),
                    OnnxModelFile.PROBABILITIES, file.features);
            LOG.info("model file {}: scored as a tree ensemble, in Java", file.path);
        } catch (TreeEnsembleScorer.Unsupported other) {
            LOG.info("model file {}: scored by ONNX Runtime, a call a row, as its graph has {}",
                    file.path, other.getMessage());
            session = OnnxModelFile.open(file.path);
        }
        features = new float[file.features];
        versionData = StringData.fromString(file.version);
    }

    @Override
    public Collection<RowData> predict(RowData row) {
        for (int i = 0; i < features.length; i++) {
            features[i] = row.isNullAt(i) ? Float.NaN : (float) row.getDouble(i);
        }
        float score = trees != null ? trees.score(features) : scoreWithOnnxRuntime();
        return List.of(GenericRowData.of((double) score, versionData));
    }

    private float scoreWithOnnxRuntime() {
        try (OnnxTensor tensor = OnnxTensor.createTensor(OrtEnvironment.getEnvironment(),
                FloatBuffer.wrap(features), new long[] {1, features.length});
             OrtSession.Result result = session.run(Map.of(file.input, tensor),
                     Set.of(OnnxModelFile.PROBABILITIES))) {
            return ((float[][]) result.get(0).getValue())[0][1];
        } catch (Exception error) {
            throw new IllegalStateException("scoring with model file " + file.path + ": "
                    + error.getMessage(), error);
        }
    }

    @Override
    public void close() throws Exception {
        if (session != null) {
            session.close();
        }
    }
}
