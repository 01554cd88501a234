package sqlplatform.ml;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;

import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.functions.PredictFunction;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Scores one row: its features as floats (NULL as NaN, which the model treats as missing), the
 * probability of the positive class, and the model's version.
 */
public class OnnxPredictFunction extends PredictFunction {
    private static final long serialVersionUID = 1L;

    private final OnnxModelFile file;

    private transient OrtSession session;
    private transient FloatBuffer features; // direct: the tensor reads it in place
    private transient OnnxTensor tensor;
    private transient StringData versionData;

    OnnxPredictFunction(OnnxModelFile file) {
        this.file = file;
    }

    @Override
    public void open(FunctionContext context) throws Exception {
        String actual = OnnxModelFile.sha256Of(java.nio.file.Path.of(file.path));
        if (!actual.equals(file.sha256)) {
            throw new IllegalStateException("model file " + file.path + " changed after the job"
                    + " was planned: its sha256 is " + actual + ", not " + file.sha256);
        }
        session = OnnxModelFile.open(file.path);
        features = ByteBuffer.allocateDirect(4 * file.features).order(ByteOrder.nativeOrder())
                .asFloatBuffer();
        tensor = OnnxTensor.createTensor(OrtEnvironment.getEnvironment(), features,
                new long[] {1, file.features});
        versionData = StringData.fromString(file.version);
    }

    @Override
    public Collection<RowData> predict(RowData row) {
        for (int i = 0; i < file.features; i++) {
            features.put(i, row.isNullAt(i) ? Float.NaN : (float) row.getDouble(i));
        }
        try (OrtSession.Result result = session.run(Map.of(file.input, tensor),
                Set.of(OnnxModelFile.PROBABILITIES))) {
            float[][] probabilities = (float[][]) result.get(0).getValue();
            return List.of(GenericRowData.of((double) probabilities[0][1], versionData));
        } catch (Exception error) {
            throw new IllegalStateException("scoring with model file " + file.path + ": "
                    + error.getMessage(), error);
        }
    }

    @Override
    public void close() throws Exception {
        if (tensor != null) {
            tensor.close();
        }
        if (session != null) {
            session.close();
        }
    }
}
