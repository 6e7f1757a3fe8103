package org.affectdml.inference.onnx;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Creates ONNX Runtime sessions with the configured execution provider, thread count and memory policy. With
 * {@link ExecutionProvider#AUTO}, a missing CUDA provider (CPU build of ONNX Runtime, no GPU, no CUDA
 * libraries) falls back to CPU with one clear log line; with {@link ExecutionProvider#CUDA} it is an error.
 *
 * <p>Memory policy. ONNX Runtime's defaults suit one fixed input shape: a CPU arena that grows to the largest run
 * and never returns memory, and "memory patterns" planned and cached per input shape. Served with batches of 1-64
 * crops and images of every size, both grow with every new shape, once per session, for the life of the process
 * (measured: 4.8 GB resident for segmentation-service). So by default the CPU arena is off (tensors come from the
 * C allocator and go back after each run; glibc's arenas are bounded by MALLOC_ARENA_MAX in the scripts and images)
 * and memory patterns are off; {@code cpuArena}/{@code memoryPattern} turn them back on for fixed-shape work. The
 * CUDA provider's arena grows by what a run needs (kSameAsRequested), not by doubling.
 *
 * @param intraOpThreads threads per session for one operator; 0 = ONNX Runtime's default (all cores)
 * @param cpuArena       ONNX Runtime's CPU arena allocator
 * @param memoryPattern  memory-pattern optimisation (plans cached per input shape)
 */
public record OrtSessionFactory(ExecutionProvider provider, int intraOpThreads, int cudaDevice, boolean cpuArena, boolean memoryPattern) {

    /** The serving memory policy: no CPU arena, no memory patterns. */
    public OrtSessionFactory(ExecutionProvider provider, int intraOpThreads, int cudaDevice) {
        this(provider, intraOpThreads, cudaDevice, false, false);
    }

    private static final Logger LOG = Logger.getLogger(OrtSessionFactory.class);
    private static final AtomicBoolean FALLBACK_LOGGED = new AtomicBoolean();
    private static final AtomicBoolean CUDA_LOGGED = new AtomicBoolean();

    public static OrtSessionFactory cpu(int intraOpThreads) {
        return new OrtSessionFactory(ExecutionProvider.CPU, intraOpThreads, 0);
    }

    public static OrtEnvironment environment() {
        return OrtEnvironment.getEnvironment();
    }

    public OrtSession open(Path model) throws OrtException {
        try (OrtSession.SessionOptions options = options()) {
            return environment().createSession(model.toString(), options);
        }
    }

    public OrtSession open(byte[] model) throws OrtException {
        try (OrtSession.SessionOptions options = options()) {
            return environment().createSession(model, options);
        }
    }

    /** The CUDA provider on the configured device, its arena growing by what a run asks for. */
    private ai.onnxruntime.providers.OrtCUDAProviderOptions cudaOptions() throws OrtException {
        ai.onnxruntime.providers.OrtCUDAProviderOptions cuda = new ai.onnxruntime.providers.OrtCUDAProviderOptions(cudaDevice);
        cuda.add("arena_extend_strategy", "kSameAsRequested");
        return cuda;
    }

    private OrtSession.SessionOptions options() throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        if (intraOpThreads > 0) {
            options.setIntraOpNumThreads(intraOpThreads);
        }
        options.setCPUArenaAllocator(cpuArena);
        options.setMemoryPatternOptimization(memoryPattern);
        if (provider != ExecutionProvider.CPU) {
            try {
                options.addCUDA(cudaOptions());
                if (CUDA_LOGGED.compareAndSet(false, true)) {
                    LOG.infof("ONNX Runtime: CUDA execution provider on device %d", cudaDevice);
                }
            } catch (OrtException | RuntimeException | UnsatisfiedLinkError e) {
                if (provider == ExecutionProvider.CUDA) {
                    options.close();
                    throw new OrtException("CUDA execution provider requested but not available: " + e.getMessage()
                            + " (build with -Pgpu and run where CUDA 12 + cuDNN 9 and a GPU are present, or set the provider to auto/cpu)");
                }
                if (FALLBACK_LOGGED.compareAndSet(false, true)) {
                    LOG.infof("ONNX Runtime: CUDA execution provider not available (%s); running on CPU", e.getMessage());
                }
            }
        }
        return options;
    }
}
