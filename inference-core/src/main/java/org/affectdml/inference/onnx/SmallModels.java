package org.affectdml.inference.onnx;

import java.util.List;
import java.util.Random;

/**
 * Small ONNX models built in code, for tests and for benchmarks that must run in minutes on 2 cores:
 * <ul>
 *   <li>{@link #colourSegmenter()}: pixel_values [N,3,H,W] -> 4x4 average pooling -> 1x1 convolution to the 6 colour
 *       classes of {@link #COLOUR_CLASSES} -> logits [N,6,H/4,W/4];</li>
 *   <li>{@link #residualEncoder(long, int)}: a residual convolutional encoder shaped like a torchvision ResNet export
 *       (Conv-ReLU-MaxPool, a residual block, global average pooling, a classifier), seeded random weights, the
 *       BatchNorm-free form exporters produce (opaque initializer names "onnx::Conv_*"): features [N,4], logits [N,2].</li>
 * </ul>
 */
public final class SmallModels {

    public static final List<String> COLOUR_CLASSES = List.of("red", "green", "blue", "bright", "dark", "grey");
    /** Width of {@link #residualEncoder}'s features. */
    public static final int RESIDUAL_FEATURES = 4;

    private SmallModels() {
    }

    public static byte[] colourSegmenter() {
        // Normalised inputs are ~(-2..2.6); the weights pick a dominant colour direction per class.
        float[] w = {
                1.0f, -0.5f, -0.5f,   // red
                -0.5f, 1.0f, -0.5f,   // green
                -0.5f, -0.5f, 1.0f,   // blue
                0.4f, 0.4f, 0.4f,     // bright
                -0.4f, -0.4f, -0.4f,  // dark
                0.0f, 0.0f, 0.0f};    // grey (wins when nothing else is positive)
        float[] b = {0, 0, 0, -0.6f, -0.6f, 0.05f};
        return new OnnxGraphBuilder("colour_segmenter", "affect-dml")
                .input("pixel_values", -1, 3, -1, -1)
                .output("logits", -1, COLOUR_CLASSES.size(), -1, -1)
                .initializer("w", w, COLOUR_CLASSES.size(), 3, 1, 1)
                .initializer("b", b, COLOUR_CLASSES.size())
                .node("AveragePool", new String[]{"pixel_values"}, new String[]{"pooled"},
                        "kernel_shape", new long[]{4, 4}, "strides", new long[]{4, 4})
                .node("Conv", new String[]{"pooled", "w", "b"}, new String[]{"logits"})
                .build();
    }

    /** A residual encoder for {@code size} x {@code size} inputs with weights drawn from {@code seed}. */
    public static byte[] residualEncoder(long seed, int size) {
        Random r = new Random(seed);
        int c = RESIDUAL_FEATURES;
        return new OnnxGraphBuilder("small_resnet", "affect-dml")
                .input("pixel_values", -1, 3, size, size)
                .output("features", -1, c)
                .output("logits", -1, 2)
                .initializer("onnx::Conv_101", gaussian(r, c * 3 * 3 * 3, 0.3), c, 3, 3, 3)
                .initializer("onnx::Conv_102", gaussian(r, c, 0.1), c)
                .initializer("onnx::Conv_103", gaussian(r, c * c * 3 * 3, 0.3), c, c, 3, 3)
                .initializer("onnx::Conv_104", gaussian(r, c, 0.1), c)
                .initializer("fc.weight", gaussian(r, 2 * c, 0.5), 2, c)
                .initializer("fc.bias", gaussian(r, 2, 0.1), 2)
                .node("Conv", new String[]{"pixel_values", "onnx::Conv_101", "onnx::Conv_102"}, new String[]{"c1"},
                        "kernel_shape", new long[]{3, 3}, "pads", new long[]{1, 1, 1, 1}, "strides", new long[]{1, 1})
                .node("Relu", new String[]{"c1"}, new String[]{"r1"})
                .node("MaxPool", new String[]{"r1"}, new String[]{"p1"}, "kernel_shape", new long[]{3, 3}, "pads", new long[]{1, 1, 1, 1},
                        "strides", new long[]{2, 2})
                .node("Conv", new String[]{"p1", "onnx::Conv_103", "onnx::Conv_104"}, new String[]{"c2"},
                        "kernel_shape", new long[]{3, 3}, "pads", new long[]{1, 1, 1, 1}, "strides", new long[]{1, 1})
                .node("Add", new String[]{"c2", "p1"}, new String[]{"residual"})
                .node("Relu", new String[]{"residual"}, new String[]{"r2"})
                .node("GlobalAveragePool", new String[]{"r2"}, new String[]{"gap"})
                .node("Flatten", new String[]{"gap"}, new String[]{"features"}, "axis", 1L)
                .node("Gemm", new String[]{"features", "fc.weight", "fc.bias"}, new String[]{"logits"}, "transB", 1L)
                .build();
    }

    private static float[] gaussian(Random r, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * scale);
        }
        return v;
    }
}
