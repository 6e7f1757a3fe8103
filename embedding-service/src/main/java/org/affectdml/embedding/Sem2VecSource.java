package org.affectdml.embedding;

import org.affectdml.inference.bundle.LoadedBundle;
import org.affectdml.inference.image.RgbImage;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Segments images with the segmenter of the given bundle: Sem2Vec and the per-class pixel fractions. */
public interface Sem2VecSource {

    /** One image's segmentation summary. */
    /** @param serverMicros the time segmentation-service reported for the call (0 in-process) */
    record Segmented(float[] sem2vec, float[] pixelFractions, long serverMicros) {
    }

    /**
     * Starts the work and returns at once, so the encoders can run meanwhile. The images are already resized to the
     * segmenter's input (its preprocessing's resize step), so no full-resolution pixels leave this process.
     */
    CompletableFuture<List<Segmented>> start(LoadedBundle bundle, List<RgbImage> segmenterInputs);
}
