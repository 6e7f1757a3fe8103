package org.affectdml.inference.onnx;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Creates ONNX Runtime sessions with the configured execution provider and thread count. With
 * {@link ExecutionProvider#AUTO}, a missing CUDA provider (CPU build of ONNX Runtime, no GPU, no CUDA
 * libraries) falls back to CPU with one clear log line; with {@link ExecutionProvider#CUDA} it is an error.
 *
 * @param intraOpThreads threads per session for one operator; 0 = ONNX Runtime's default (all cores)
 */
public record OrtSessionFactory(ExecutionProvider provider, int intraOpThreads, int cudaDevice) {

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

    private OrtSession.SessionOptions options() throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        if (intraOpThreads > 0) {
            options.setIntraOpNumThreads(intraOpThreads);
        }
        if (provider != ExecutionProvider.CPU) {
            try {
                options.addCUDA(cudaDevice);
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
