package org.affectdml.inference.onnx;

/** Where ONNX Runtime runs a model. */
public enum ExecutionProvider {
    /** CUDA when the GPU build of ONNX Runtime and a GPU are present, else CPU (logged once). */
    AUTO,
    CUDA,
    CPU;

    public static ExecutionProvider parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("execution provider must be auto, cuda or cpu, got '" + value + "'");
        }
    }
}
