package sqlplatform.ml;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;

import org.apache.flink.table.api.ValidationException;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/** An ONNX classifier file and its version, checked against its expected checksum and its
 * feature columns: all that a task needs to score with it. */
final class OnnxModelFile implements Serializable {
    private static final long serialVersionUID = 1L;
    static final String PROBABILITIES = "probabilities";

    final String path;
    final String version;
    final String sha256;
    final String input;
    final int features;

    private OnnxModelFile(String path, String version, String sha256, String input,
                          int features) {
        this.path = path;
        this.version = version;
        this.sha256 = sha256;
        this.input = input;
        this.features = features;
    }

    /** The model's metadata property that lists its features, comma-separated, in order. */
    static final String FEATURE_NAMES = "features";
    /** The metadata property that names the model's version, when the options do not. */
    static final String VERSION = "version";

    /** The file, or a ValidationException naming what is wrong with it. */
    static OnnxModelFile check(String path, String version, String expectedSha256,
                               List<String> columns) {
        Path file = Path.of(path);
        if (!Files.isRegularFile(file)) {
            throw new ValidationException("model file " + path + " does not exist");
        }
        String actual = sha256Of(file);
        if (expectedSha256 != null && !expectedSha256.equalsIgnoreCase(actual)) {
            throw new ValidationException("model file " + path + ": its sha256 is " + actual
                    + ", not the registry's " + expectedSha256);
        }
        try (OrtSession session = open(path)) {
            Map<String, NodeInfo> inputs = session.getInputInfo();
            if (inputs.size() != 1) {
                throw new ValidationException("model file " + path + " takes " + inputs.size()
                        + " inputs; it must take one tensor of the " + columns.size()
                        + " features " + columns);
            }
            Map.Entry<String, NodeInfo> only = inputs.entrySet().iterator().next();
            if (!(only.getValue().getInfo() instanceof TensorInfo tensor)
                    || tensor.type != OnnxJavaType.FLOAT || tensor.getShape().length != 2) {
                throw new ValidationException("model file " + path + ": its input "
                        + only.getKey() + " is " + only.getValue().getInfo()
                        + ", not a float tensor [rows, features]");
            }
            long width = tensor.getShape()[1];
            if (width != columns.size()) {
                throw new ValidationException("model file " + path + " takes " + width
                        + " features, and the model's INPUT has " + columns.size() + ": "
                        + columns);
            }
            // The training pipeline writes its feature names; they must be INPUT's, in order,
            // or a model trained on other columns would score the wrong ones without a word.
            String trained = session.getMetadata().getCustomMetadata().get(FEATURE_NAMES);
            if (trained != null && !List.of(trained.split(",")).equals(columns)) {
                throw new ValidationException("model file " + path + " was trained on features "
                        + List.of(trained.split(",")) + ", and the model's INPUT is " + columns);
            }
            if (!session.getOutputNames().contains(PROBABILITIES)) {
                throw new ValidationException("model file " + path + " has no '"
                        + PROBABILITIES + "' output (outputs: " + session.getOutputNames()
                        + "); export the classifier with skl2onnx's zipmap=False");
            }
            String named = version != null ? version
                    : session.getMetadata().getCustomMetadata().get(VERSION);
            if (named == null || named.isBlank()) {
                throw new ValidationException("model file " + path + " names no version: give "
                        + "the model's 'version' option");
            }
            return new OnnxModelFile(path, named, actual, only.getKey(), columns.size());
        } catch (OrtException error) {
            throw new ValidationException("model file " + path + " is not a readable ONNX "
                    + "model: " + error.getMessage());
        }
    }

    /** A session on one thread: the job's parallelism is the scoring's. */
    static OrtSession open(String path) throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(1);
        options.setInterOpNumThreads(1);
        return OrtEnvironment.getEnvironment().createSession(path, options);
    }

    static String sha256Of(Path file) {
        try {
            return sha256Of(Files.readAllBytes(file));
        } catch (IOException error) {
            throw new ValidationException("model file " + file + " cannot be read: " + error);
        }
    }

    static String sha256Of(byte[] file) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(file));
        } catch (NoSuchAlgorithmException error) {
            throw new IllegalStateException(error); // every JVM has SHA-256
        }
    }
}
