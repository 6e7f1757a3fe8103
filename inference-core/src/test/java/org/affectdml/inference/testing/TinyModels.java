package org.affectdml.inference.testing;

import org.affectdml.inference.bundle.DefaultBundleAssembler;
import org.affectdml.inference.bundle.ModelStore;
import org.affectdml.inference.onnx.OnnxGraphBuilder;
import org.affectdml.inference.onnx.OrtSessionFactory;
import org.affectdml.inference.onnx.SmallModels;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Tiny ONNX models with the I/O contract of the real backbones, built in code so that every test suite
 * runs on a fresh clone without ../shared:
 * <ul>
 *   <li>encoder: pixel_values [N,3,32,32] -> 8x8 average pooling -> features [N,48] (a 4x4 colour layout),
 *       plus a logits [N,10] output like the ResNet stand-in;</li>
 *   <li>segmenter: pixel_values [N,3,H,W] -> 4x4 average pooling -> 1x1 convolution to 6 colour classes
 *       -> logits [N,6,H/4,W/4]. Class 0 "red", 1 "green", 2 "blue", 3 "bright", 4 "dark", 5 "grey".</li>
 * </ul>
 */
public final class TinyModels {

    public static final int ENCODER_SIZE = 32;
    public static final int SEGMENTER_SIZE = 32;
    public static final int FEATURES = 48;
    public static final List<String> SEGMENTER_CLASSES = SmallModels.COLOUR_CLASSES;

    private TinyModels() {
    }

    public static byte[] encoder() {
        float[] fc = new float[FEATURES * 10];
        for (int i = 0; i < fc.length; i++) {
            fc[i] = (i % 7) * 0.1f - 0.3f;
        }
        return new OnnxGraphBuilder("tiny_encoder", "affect-dml tests")
                .input("pixel_values", -1, 3, ENCODER_SIZE, ENCODER_SIZE)
                .output("logits", -1, 10)
                .output("features", -1, FEATURES)
                .initializer("fc", fc, FEATURES, 10)
                .node("AveragePool", new String[]{"pixel_values"}, new String[]{"pooled"},
                        "kernel_shape", new long[]{8, 8}, "strides", new long[]{8, 8})
                .node("Flatten", new String[]{"pooled"}, new String[]{"features"}, "axis", 1L)
                .node("MatMul", new String[]{"features", "fc"}, new String[]{"logits"})
                .build();
    }

    public static byte[] segmenter() {
        return SmallModels.colourSegmenter();
    }

    /** Writes the tiny models and labels into {@code dir} and returns the assembly inputs. */
    public static DefaultBundleAssembler.Inputs write(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path encoder = Files.write(dir.resolve("tiny-encoder.onnx"), encoder());
        Path segmenter = Files.write(dir.resolve("tiny-segmenter.onnx"), segmenter());
        Path labels = Files.write(dir.resolve("tiny-labels.txt"), SEGMENTER_CLASSES);
        return new DefaultBundleAssembler.Inputs(encoder, encoder, "features", ENCODER_SIZE, segmenter, labels, SEGMENTER_SIZE);
    }

    /** A store under {@code dir} with the tiny default bundle published and active; returns its version. */
    public static String activeDefaultBundle(Path storeDir) throws Exception {
        ModelStore store = new ModelStore(storeDir);
        OrtSessionFactory sessions = OrtSessionFactory.cpu(1);
        String version = new DefaultBundleAssembler(sessions).assemble(write(storeDir.resolve("sources")), store);
        store.activate(version, new org.affectdml.inference.bundle.BundleLoader(sessions));
        return version;
    }
}
