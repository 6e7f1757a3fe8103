package org.affectdml.embedding;

import org.affectdml.inference.bundle.LoadedBundle;
import org.affectdml.inference.image.RgbImage;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Computes Sem2Vec for decoded images with the segmenter of the given bundle. */
public interface Sem2VecSource {

    /** Starts the work and returns at once, so the encoders can run meanwhile. */
    CompletableFuture<List<float[]>> start(LoadedBundle bundle, List<RgbImage> images);
}
