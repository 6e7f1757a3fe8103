package org.affectdml.inference.bundle;

import com.fasterxml.jackson.annotation.JsonInclude;
import org.affectdml.inference.image.Preprocessing;

import java.util.List;

/**
 * One file of a bundle. ONNX files list the inputs and outputs the services use (a model may have more
 * outputs; only those named here are read) and, for image models, their preprocessing.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record ModelFile(
        String path,
        String sha256,
        long bytes,
        List<TensorSpec> inputs,
        List<TensorSpec> outputs,
        Preprocessing preprocessing) {

    public ModelFile {
        inputs = inputs == null ? List.of() : List.copyOf(inputs);
        outputs = outputs == null ? List.of() : List.copyOf(outputs);
    }

    public boolean isOnnx() {
        return path.endsWith(".onnx");
    }

    public TensorSpec input(String name) {
        return inputs.stream().filter(t -> t.name().equals(name)).findFirst().orElse(null);
    }
}
