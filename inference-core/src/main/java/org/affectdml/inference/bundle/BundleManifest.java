package org.affectdml.inference.bundle;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code manifest.json} of a model bundle: what the bundle is (version, lineage, training data, metrics)
 * and every file it holds by role, with checksums, tensor names and shapes, and preprocessing.
 * Written by the bundle tool and the trainer; read and verified by the services before activation.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonPropertyOrder({"format", "version", "created", "parent", "description", "head_kind", "embedding_dimension",
        "dataset", "protocol", "variant", "hyperparameters", "metrics", "files"})
public record BundleManifest(
        int format,
        String version,
        String created,
        String parent,
        String description,
        String headKind,
        int embeddingDimension,
        String dataset,
        String protocol,
        String variant,
        Map<String, Object> hyperparameters,
        Map<String, Double> metrics,
        Map<String, ModelFile> files) {

    public static final int FORMAT = 1;
    public static final String FILE_NAME = "manifest.json";
    /** Version names are safe directory names. */
    public static final Pattern VERSION_PATTERN = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    public BundleManifest {
        hyperparameters = hyperparameters == null ? Map.of() : new LinkedHashMap<>(hyperparameters);
        metrics = metrics == null ? Map.of() : new LinkedHashMap<>(metrics);
        files = files == null ? Map.of() : new LinkedHashMap<>(files);
    }

    public ModelFile file(String role) {
        return files.get(role);
    }

    /** The head's declared input of that name, or null when the head does not use that stream. */
    public TensorSpec headInput(String name) {
        ModelFile head = files.get(Roles.HEAD);
        return head == null ? null : head.input(name);
    }

    public boolean usesSem2Vec() {
        return headInput(Roles.HEAD_SEM2VEC) != null;
    }
}
