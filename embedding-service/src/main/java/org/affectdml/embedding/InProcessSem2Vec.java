package org.affectdml.embedding;

import org.affectdml.inference.bundle.LoadedBundle;
import org.affectdml.inference.image.RgbImage;
import org.affectdml.inference.segmentation.SegmentationResult;
import org.affectdml.inference.segmentation.SemanticSegmenter;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Sem2Vec from the bundle's own segmenter in this process (single-pod deployments). */
final class InProcessSem2Vec implements Sem2VecSource {

    @Override
    public CompletableFuture<List<float[]>> start(LoadedBundle bundle, List<RgbImage> images) {
        // Runs on the calling thread: on one machine the segmenter and the encoders share the same cores anyway.
        try {
            return CompletableFuture.completedFuture(SemanticSegmenter.segment(bundle, images, 0).stream()
                    .map(SegmentationResult::sem2vec).toList());
        } catch (Exception e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
