package org.affectdml.inference.bundle;

import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import org.affectdml.inference.onnx.OnnxGraphBuilder;
import org.affectdml.inference.onnx.OrtSessionFactory;
import org.affectdml.inference.testing.TestImages;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The standard exports are recognised on graphs of their structure: a torchvision-style export (input "input", only
 * the 1000-logit "output") gets its pooled features exposed, a Model Zoo one ("data") too, the stand-in keeps its
 * "features", logits mode takes the classifier output, and the SegFormer stand-in is read as a 150-class segmenter.
 */
public class StandardExportsTest {

    /** conv -> relu -> global average pool -> flatten -> classifier (Gemm, transB), like a ResNet export's tail. */
    public static byte[] classifierNet(String input, String output, int classes) {
        Random r = new Random(5);
        float[] conv = new float[8 * 3 * 3 * 3];
        for (int i = 0; i < conv.length; i++) {
            conv[i] = (float) r.nextGaussian() * 0.3f;
        }
        float[] fc = new float[classes * 8];
        for (int i = 0; i < fc.length; i++) {
            fc[i] = (float) r.nextGaussian() * 0.3f;
        }
        return new OnnxGraphBuilder("classifier_net", "affect-dml tests")
                .input(input, -1, 3, 32, 32)
                .output(output, -1, classes)
                .initializer("onnx::Conv_7", conv, 8, 3, 3, 3)
                .initializer("fc.weight", fc, classes, 8)
                .initializer("fc.bias", new float[classes], classes)
                .node("Conv", new String[]{input, "onnx::Conv_7"}, new String[]{"c"}, "kernel_shape", new long[]{3, 3}, "pads", new long[]{1, 1, 1, 1})
                .node("Relu", new String[]{"c"}, new String[]{"r"})
                .node("GlobalAveragePool", new String[]{"r"}, new String[]{"gap"})
                .node("Flatten", new String[]{"gap"}, new String[]{"/Flatten_output_0"}, "axis", 1L)
                .node("Gemm", new String[]{"/Flatten_output_0", "fc.weight", "fc.bias"}, new String[]{output}, "transB", 1L)
                .build();
    }

    private static float[][] run(byte[] model, String input, String output, float[] pixels, long... shape) throws Exception {
        try (OrtSession s = OrtSessionFactory.cpu(1).open(model);
             OnnxTensor x = OnnxTensor.createTensor(OrtSessionFactory.environment(), FloatBuffer.wrap(pixels), shape);
             OrtSession.Result r = s.run(Map.of(input, x), Set.of(output))) {
            return (float[][]) r.get(output).orElseThrow().getValue();
        }
    }

    @Test
    void aTorchvisionExportGetsItsPooledFeaturesExposed() throws Exception {
        byte[] export = classifierNet("input", "output", 1000);
        StandardExports.Encoder e = StandardExports.encoder(export, false);
        assertEquals("torchvision export", e.kind());
        assertEquals(StandardExports.FEATURES, e.output());
        assertEquals(8, e.width());
        assertEquals(32, e.size(), "the input size is read from the graph");
        float[] pixels = new float[3 * 32 * 32];
        new Random(2).doubles(pixels.length).forEach(new java.util.function.DoubleConsumer() {
            int i;

            @Override
            public void accept(double v) {
                pixels[i++] = (float) v;
            }
        });
        float[][] features = run(e.onnx(), "input", "features", pixels, 1, 3, 32, 32);
        assertEquals(8, features[0].length);
        // the features are the classifier's input: the logits are W f + b from them
        float[][] logits = run(e.onnx(), "input", "output", pixels, 1, 3, 32, 32);
        assertEquals(1000, logits[0].length, "the classifier output stays");

        StandardExports.Encoder logitMode = StandardExports.encoder(export, true);
        assertEquals(StandardExports.LOGITS, logitMode.output());
        assertEquals(1000, logitMode.width());
        assertArrayEquals(logits[0], run(logitMode.onnx(), "input", "logits", pixels, 1, 3, 32, 32)[0], 1e-6f);
    }

    @Test
    void aModelZooExportIsRecognisedByItsInputName() {
        StandardExports.Encoder e = StandardExports.encoder(classifierNet("data", "resnetv15_dense0_fwd", 1000), false);
        assertEquals("ONNX Model Zoo export", e.kind());
        assertEquals("features", e.output());
    }

    @Test
    void graphsThatAreNotImageEncodersAreRefusedSayingWhy() {
        byte[] notImage = new OnnxGraphBuilder("vector_net", "t").input("x", -1, 8).output("y", -1, 8)
                .node("Relu", new String[]{"x"}, new String[]{"y"}).build();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> StandardExports.encoder(notImage, false)).getMessage()
                .contains("is not an [N, 3, H, W] image"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> StandardExports.encoder("garbage".getBytes(), false)).getMessage()
                .startsWith("not an ONNX model"));
        byte[] noClassifier = new OnnxGraphBuilder("pool_net", "t").input("input", -1, 3, 8, 8).output("map", -1, 3, 8, 8)
                .node("Relu", new String[]{"input"}, new String[]{"map"}).build();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> StandardExports.encoder(noClassifier, false)).getMessage()
                .contains("cannot find the pooled features"));
    }

    @Test
    void theStandInsAndATorchvisionStyleCopyOfThemGiveTheSameFeatures() throws Exception {
        Path shared = TestImages.sharedDir();
        Assumptions.assumeTrue(shared != null, "AFFECT_SHARED_DIR is not set: the stand-in export check is skipped");
        byte[] standIn = Files.readAllBytes(shared.resolve("models/resnet18-arch-untrained.onnx"));
        StandardExports.Encoder kept = StandardExports.encoder(standIn, false);
        assertEquals("features", kept.output());
        assertArrayEquals(standIn, kept.onnx(), "an export that has the features output is used as it is");

        // the same network as torchvision exports it: input 'input', only the logits output 'output'
        OnnxMl.ModelProto.Builder m = OnnxMl.ModelProto.parseFrom(standIn).toBuilder();
        OnnxMl.GraphProto.Builder g = m.getGraphBuilder();
        String input = g.getInput(0).getName();
        for (int i = g.getOutputCount() - 1; i >= 0; i--) {
            if (!g.getOutput(i).getName().equals("logits")) {
                g.removeOutput(i);
            }
        }
        byte[] torchvisionStyle = m.build().toByteArray();
        StandardExports.Encoder exposed = StandardExports.encoder(torchvisionStyle, false);
        assertEquals(512, exposed.width());
        assertEquals(224, exposed.size());
        float[] pixels = new float[3 * 224 * 224];
        Random r = new Random(9);
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (float) r.nextGaussian();
        }
        assertArrayEquals(run(standIn, input, "features", pixels, 1, 3, 224, 224)[0],
                run(exposed.onnx(), input, "features", pixels, 1, 3, 224, 224)[0], 1e-6f, "the exposed value is the stand-in's features");

        StandardExports.Segmenter seg = StandardExports.segmenter(Files.readAllBytes(shared.resolve("models/segformer-b0-ade20k-arch-untrained.onnx")));
        assertEquals("pixel_values", seg.input());
        assertEquals(150, seg.classes());
        assertEquals("Hugging Face SegFormer-style export", seg.kind());
    }
}
