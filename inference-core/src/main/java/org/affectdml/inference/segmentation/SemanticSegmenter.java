package org.affectdml.inference.segmentation;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import org.affectdml.inference.bundle.LoadedBundle;
import org.affectdml.inference.bundle.ModelFile;
import org.affectdml.inference.bundle.Roles;
import org.affectdml.inference.image.PixelRegion;
import org.affectdml.inference.image.Preprocessing;
import org.affectdml.inference.image.RgbImage;
import org.affectdml.inference.image.TensorPreprocessor;
import org.affectdml.inference.onnx.OrtSessionFactory;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs a bundle's segmenter on whole images: preprocess per the manifest, one batched ONNX run,
 * argmax over the class logits at the output resolution (1/4 of the input for SegFormer), Sem2Vec.
 */
public final class SemanticSegmenter {

    private SemanticSegmenter() {
    }

    public static List<SegmentationResult> segment(LoadedBundle bundle, List<RgbImage> images, double minPixelFraction) throws OrtException {
        ModelFile file = bundle.manifest().file(Roles.SEGMENTER);
        Preprocessing p = file.preprocessing();
        String inputName = file.inputs().get(0).name();
        String outputName = file.outputs().get(0).name();
        int slice = TensorPreprocessor.sliceLength(p);
        float[] input = new float[slice * images.size()];
        for (int i = 0; i < images.size(); i++) {
            RgbImage image = images.get(i);
            TensorPreprocessor.write(image, PixelRegion.whole(image), p, input, i * slice);
        }
        OrtSession session = bundle.session(Roles.SEGMENTER);
        long[] shape = {images.size(), 3, p.height(), p.width()};
        try (OnnxTensor tensor = OnnxTensor.createTensor(OrtSessionFactory.environment(), FloatBuffer.wrap(input), shape);
             OrtSession.Result result = session.run(Map.of(inputName, tensor), Set.of(outputName))) {
            OnnxTensor logits = (OnnxTensor) result.get(outputName).orElseThrow();
            long[] s = logits.getInfo().getShape();
            int classes = (int) s[1];
            int h = (int) s[2];
            int w = (int) s[3];
            FloatBuffer values = logits.getFloatBuffer();
            List<SegmentationResult> out = new ArrayList<>(images.size());
            for (int i = 0; i < images.size(); i++) {
                byte[] labels = argmax(values, i * classes * h * w, classes, h * w);
                int[] counts = Sem2Vec.classCounts(labels, classes);
                out.add(new SegmentationResult(w, h, labels, counts, Sem2Vec.multiHot(counts, minPixelFraction)));
            }
            return out;
        }
    }

    /** Per pixel, the channel with the largest logit; the first one wins a tie (as numpy/torch argmax). */
    static byte[] argmax(FloatBuffer logits, int offset, int classes, int pixels) {
        float[] best = new float[pixels];
        byte[] labels = new byte[pixels];
        logits.position(offset);
        logits.get(best, 0, pixels);
        float[] channel = new float[pixels];
        for (int c = 1; c < classes; c++) {
            logits.get(channel, 0, pixels);
            for (int i = 0; i < pixels; i++) {
                if (channel[i] > best[i]) {
                    best[i] = channel[i];
                    labels[i] = (byte) c;
                }
            }
        }
        return labels;
    }
}
