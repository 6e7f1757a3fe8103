package org.affectdml.embedding;

import org.affectdml.inference.bundle.LoadedBundle;
import org.affectdml.inference.image.RgbImage;
import org.affectdml.inference.onnx.ImageModelRunner;
import org.affectdml.inference.segmentation.SemanticSegmenter;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Sem2Vec from the bundle's own segmenter in this process (single-pod deployments). */
final class InProcessSem2Vec implements Sem2VecSource {

    private final ImageModelRunner models;

    InProcessSem2Vec(ImageModelRunner models) {
        this.models = models;
    }

    @Override
    public CompletableFuture<List<Segmented>> start(LoadedBundle bundle, List<RgbImage> segmenterInputs) {
        // Runs on the calling thread: on one machine the segmenter and the encoders share the same cores anyway.
        try {
            return CompletableFuture.completedFuture(SemanticSegmenter.segment(bundle, segmenterInputs, 0, models).stream()
                    .map(r -> new Segmented(r.sem2vec(), r.pixelFractions(), 0)).toList());
        } catch (Exception e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
