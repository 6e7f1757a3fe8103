package org.affectdml.inference.segmentation;

import ai.onnxruntime.OrtException;
import org.affectdml.inference.bundle.LoadedBundle;
import org.affectdml.inference.bundle.Roles;
import org.affectdml.inference.image.PixelRegion;
import org.affectdml.inference.image.Preprocessing;
import org.affectdml.inference.image.RgbImage;
import org.affectdml.inference.image.TensorPreprocessor;
import org.affectdml.inference.onnx.ImageModelRunner;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a bundle's segmenter on whole images: preprocess per the manifest, one batched ONNX run (or a share of one),
 * argmax over the class logits at the output resolution (1/4 of the input for SegFormer), Sem2Vec.
 */
public final class SemanticSegmenter {

    private SemanticSegmenter() {
    }

    public static List<SegmentationResult> segment(LoadedBundle bundle, List<RgbImage> images, double minPixelFraction) throws OrtException {
        return segment(bundle, images, minPixelFraction, ImageModelRunner.DIRECT);
    }

    /** As {@link #segment(LoadedBundle, List, double)}, the segmenter run going through {@code runner}. */
    public static List<SegmentationResult> segment(LoadedBundle bundle, List<RgbImage> images, double minPixelFraction,
                                                   ImageModelRunner runner) throws OrtException {
        Preprocessing p = bundle.manifest().file(Roles.SEGMENTER).preprocessing();
        int slice = TensorPreprocessor.sliceLength(p);
        float[] input = new float[slice * images.size()];
        for (int i = 0; i < images.size(); i++) {
            RgbImage image = images.get(i);
            TensorPreprocessor.write(image, PixelRegion.whole(image), p, input, i * slice);
        }
        ImageModelRunner.Output logits = runner.run(bundle, Roles.SEGMENTER, input, images.size());
        int classes = (int) logits.rowShape()[0];
        int h = (int) logits.rowShape()[1];
        int w = (int) logits.rowShape()[2];
        List<SegmentationResult> out = new ArrayList<>(images.size());
        for (float[] row : logits.rows()) {
            byte[] labels = argmax(FloatBuffer.wrap(row), 0, classes, h * w);
            int[] counts = Sem2Vec.classCounts(labels, classes);
            out.add(new SegmentationResult(w, h, labels, counts, Sem2Vec.multiHot(counts, minPixelFraction)));
        }
        return out;
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
