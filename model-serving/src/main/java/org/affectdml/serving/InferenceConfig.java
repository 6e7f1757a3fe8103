package org.affectdml.serving;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import org.affectdml.inference.image.ImageLimits;
import org.affectdml.inference.onnx.ExecutionProvider;
import org.affectdml.inference.onnx.OrtSessionFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Settings every inference service shares (prefix {@code affect}); the README's configuration table lists them. */
@ConfigMapping(prefix = "affect")
public interface InferenceConfig {

    ModelStoreConfig modelStore();

    OnnxConfig onnx();

    ImageConfig image();

    InferenceLimits inference();

    BatchingConfig batching();

    interface ModelStoreConfig {
        /** Directory of the model store (bundles/ and ACTIVE). */
        Path path();

        /** How often the ACTIVE pointer is checked for a newly activated bundle. */
        @WithDefault("5s")
        Duration pollInterval();

        /**
         * Keep the bundle a swap replaced loaded, so clients can still ask for its version while they migrate
         * (costs the memory of a second bundle during that time).
         */
        @WithDefault("true")
        boolean retainPrevious();

        /**
         * How long a replaced bundle stays loaded when retained (or until the next swap). Keep it above the time the
         * registry needs to re-embed every support with the new version (GetReembeddingStatus).
         */
        @WithDefault("1h")
        Duration retainPreviousFor();
    }

    interface OnnxConfig {
        /** auto (CUDA when present, else CPU), cuda (fail without it) or cpu. */
        @WithDefault("auto")
        String executionProvider();

        /** Threads per operator; 0 = all cores. */
        @WithDefault("0")
        int intraOpThreads();

        @WithDefault("0")
        int cudaDevice();

        /**
         * ONNX Runtime's CPU arena allocator. Off: tensors are freed after each run, so memory follows the load
         * instead of keeping the largest batch ever seen (see OrtSessionFactory); on: slightly faster fixed-shape runs.
         */
        @WithDefault("false")
        boolean cpuArena();

        /** Memory-pattern optimisation: plans cached per input shape, so one per batch size and image size seen. */
        @WithDefault("false")
        boolean memoryPattern();
    }

    interface ImageConfig {
        /** Largest encoded image accepted, in bytes. */
        @WithDefault("20971520")
        long maxBytes();

        /** Largest decoded image accepted, in pixels (checked from the header before decoding). */
        @WithDefault("40000000")
        long maxPixels();

        /**
         * Bytes all decodes in flight may hold together (about 12 per decoded pixel); a decode waits up to 10 s
         * for its share, then RESOURCE_EXHAUSTED.
         */
        @WithDefault("268435456")
        long decodeMemoryBytes();

        /** Decode JPEGs with libturbojpeg (DCT-scaled) when the system has it; false = ImageIO only. */
        @WithDefault("true")
        boolean turboJpeg();
    }

    interface InferenceLimits {
        /** Requests running inference at once; more wait in a queue. */
        @WithDefault("4")
        int maxInFlight();

        /** How long a request may wait for a slot before RESOURCE_EXHAUSTED. */
        @WithDefault("10s")
        Duration queueTimeout();
    }

    /** Dynamic batching of the image models (encoders, segmenter); see {@code BatchingPolicy}. */
    interface BatchingConfig {
        /** false: each request runs the models alone, concurrently with the others. */
        @WithDefault("true")
        boolean enabled();

        /** Images (or crops) per model run at most. */
        @WithDefault("8")
        int maxBatchSize();

        /** How long the oldest waiting request may wait for others to join; 0 never delays a lone request. */
        @WithDefault("0ms")
        Duration maxQueueDelay();

        /** With a queue delay: start a batch before it passes once this many rows wait (the largest counts). */
        Optional<List<Integer>> preferredBatchSizes();

        /** Runs of one model at once. */
        @WithDefault("1")
        int instances();
    }

    default ImageLimits imageLimits() {
        return new ImageLimits(image().maxBytes(), image().maxPixels(), image().decodeMemoryBytes());
    }

    default OrtSessionFactory sessionFactory() {
        return new OrtSessionFactory(ExecutionProvider.parse(onnx().executionProvider()), onnx().intraOpThreads(), onnx().cudaDevice(),
                onnx().cpuArena(), onnx().memoryPattern());
    }
}
