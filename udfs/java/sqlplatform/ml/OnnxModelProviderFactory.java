package sqlplatform.ml;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ResolvedCatalogModel;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.factories.ModelProviderFactory;
import org.apache.flink.table.functions.PredictFunction;
import org.apache.flink.table.ml.ModelProvider;
import org.apache.flink.table.ml.PredictRuntimeProvider;
import org.apache.flink.table.types.logical.LogicalTypeRoot;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code 'provider' = 'onnx'}: a model of Flink SQL ({@code CREATE MODEL}, {@code ML_PREDICT})
 * that an ONNX file holds, scored inside the TaskManager, a row at a time on the task's thread
 * (OnnxPredictFunction: a tree ensemble in Java, any other graph by ONNX Runtime).
 *
 * <pre>
 * CREATE MODEL fraud_model
 * INPUT (amount_z DOUBLE, ...)                  -- the model's features, in its column order
 * OUTPUT (fraud_score DOUBLE, model_version STRING)
 * WITH ('provider' = 'onnx', 'path' = '/models/fraud/v3/model.onnx', 'version' = 'v3',
 *       'sha256' = '...');
 * </pre>
 *
 * <p>The file is checked when the job is planned, so a wrong model fails the submission with
 * one line, not the first row: it must exist, match {@code sha256} when given, and take one
 * float tensor of as many features as INPUT has columns (all DOUBLE). {@code fraud_score} is the probability
 * of the positive class (a classifier exported by skl2onnx with {@code zipmap=False}: its
 * {@code probabilities} output, column 1); {@code model_version} is the {@code version} option.
 */
public class OnnxModelProviderFactory implements ModelProviderFactory {

    public static final String IDENTIFIER = "onnx";

    public static final ConfigOption<String> PATH = ConfigOptions.key("path").stringType()
            .noDefaultValue().withDescription("The ONNX file.");
    public static final ConfigOption<String> VERSION = ConfigOptions.key("version").stringType()
            .noDefaultValue().withDescription("The model's version, returned with each score; "
                    + "empty: the file's own (its metadata property 'version').");
    public static final ConfigOption<String> SHA256 = ConfigOptions.key("sha256").stringType()
            .noDefaultValue().withDescription("The file's expected SHA-256, from the registry; "
                    + "empty: not checked.");

    @Override
    public String factoryIdentifier() {
        return IDENTIFIER;
    }

    @Override
    public Set<ConfigOption<?>> requiredOptions() {
        return Set.of(PATH);
    }

    @Override
    public Set<ConfigOption<?>> optionalOptions() {
        return Set.of(VERSION, SHA256);
    }

    @Override
    public ModelProvider createModelProvider(Context context) {
        ResolvedCatalogModel model = context.getCatalogModel();
        Map<String, String> options = model.getOptions();
        String name = context.getObjectIdentifier().getObjectName();
        String path = options.get(PATH.key());
        String version = options.get(VERSION.key());
        if (path == null || path.isBlank()) {
            throw new ValidationException("model " + name + ": the 'path' option is required");
        }
        List<String> features = columnNames(model.getResolvedInputSchema());
        checkInput(name, model.getResolvedInputSchema());
        checkOutput(name, model.getResolvedOutputSchema());
        String sha256 = options.get(SHA256.key());
        return new Provider(OnnxModelFile.check(path, version == null || version.isBlank()
                ? null : version, sha256 == null || sha256.isBlank() ? null : sha256, features));
    }

    private static List<String> columnNames(ResolvedSchema schema) {
        return schema.getColumns().stream().map(Column::getName).toList();
    }

    /** INPUT's columns are DOUBLE: the features a float tensor is made of. */
    private static void checkInput(String name, ResolvedSchema input) {
        for (Column column : input.getColumns()) {
            if (column.getDataType().getLogicalType().getTypeRoot() != LogicalTypeRoot.DOUBLE) {
                throw new ValidationException("model " + name + ": INPUT column "
                        + column.getName() + " is " + column.getDataType() + "; features are"
                        + " DOUBLE");
            }
        }
    }

    /** OUTPUT is (score DOUBLE, version STRING). */
    private static void checkOutput(String name, ResolvedSchema output) {
        List<Column> columns = output.getColumns();
        if (columns.size() != 2
                || columns.get(0).getDataType().getLogicalType().getTypeRoot()
                != LogicalTypeRoot.DOUBLE
                || columns.get(1).getDataType().getLogicalType().getTypeRoot()
                != LogicalTypeRoot.VARCHAR) {
            throw new ValidationException("model " + name + ": OUTPUT must be (score DOUBLE,"
                    + " version STRING), not " + columns);
        }
    }

    /** Scores with the checked file; each task opens its own session. */
    private record Provider(OnnxModelFile model) implements PredictRuntimeProvider {
        @Override
        public PredictFunction createPredictFunction(ModelProvider.Context context) {
            return new OnnxPredictFunction(model);
        }

        @Override
        public ModelProvider copy() {
            return new Provider(model);
        }
    }
}
