package org.affectdml.embedding;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** embedding-service settings (prefix {@code affect.embedding}). */
@ConfigMapping(prefix = "affect.embedding")
public interface EmbeddingConfig {

    /** Where Sem2Vec comes from. */
    enum Sem2VecMode {
        /** segmentation-service over gRPC (the gRPC client "segmentation"); scales on its own GPU pods. */
        REMOTE,
        /** The bundle's segmenter in this process: one pod does everything. */
        IN_PROCESS
    }

    @WithDefault("remote")
    Sem2VecMode segmentation();

    /** Deadline of one Segment call to segmentation-service. */
    @WithDefault("30s")
    Duration segmentationTimeout();

    /**
     * Run the encoders while Sem2Vec is computed (separate GPU or CPU pods: their times overlap). false = one after
     * the other, for machines where segmentation-service shares the cores (the local scripts), where overlapping
     * only oversubscribes them.
     */
    @WithDefault("true")
    boolean overlapEncoders();

    /** Most items one EmbedBatch may carry. */
    @WithDefault("32")
    int maxBatchSize();

    /** Most person boxes one EmbedPersons (and the registry's ClassifyPersons) may carry. */
    @WithDefault("64")
    int maxPersons();

    SceneCacheConfig sceneCache();

    /** The cache of recently seen images' scene features (see SceneCache). */
    interface SceneCacheConfig {
        @WithDefault("true")
        boolean enabled();

        @WithDefault("2048")
        int maxEntries();

        /** About 3.5 KB per entry with the default bundle (150 + 150 + 512 floats). */
        @WithDefault("16777216")
        long maxBytes();
    }
}
