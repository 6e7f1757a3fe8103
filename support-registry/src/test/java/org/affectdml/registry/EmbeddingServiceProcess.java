package org.affectdml.registry;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import org.affectdml.service.testing.ServiceProcess;
import org.affectdml.inference.testing.TinyModels;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The real, packaged embedding-service as a process (Sem2Vec in-process, tiny bundle) for the registry's
 * @QuarkusTest: the registry talks to it over gRPC exactly as in production.
 */
public class EmbeddingServiceProcess implements QuarkusTestResourceLifecycleManager {

    public static final String STORE_PROPERTY = "test.affect.model-store";
    /** The embedding-service's port, for tests that call it directly. */
    public static final String PORT_PROPERTY = "test.affect.embedding-port";
    private ServiceProcess process;

    @Override
    public Map<String, String> start() {
        Path jar = ServiceProcess.requirePackagedApp("embedding-service");
        try {
            Path dir = Files.createTempDirectory("affect-registry-test");
            Path store = dir.resolve("store");
            TinyModels.activeDefaultBundle(store);
            System.setProperty(STORE_PROPERTY, store.toString());
            process = ServiceProcess.start(jar, Map.of(
                    "affect.model-store.path", store.toString(),
                    "affect.model-store.poll-interval", "200ms",
                    "affect.embedding.segmentation", "in-process",
                    "affect.onnx.intra-op-threads", "1"), dir.resolve("logs"));
            System.setProperty(PORT_PROPERTY, Integer.toString(process.port));
            // In test mode a Quarkus gRPC client dials test-port (by default the app's own port), not port.
            return Map.of("quarkus.grpc.clients.embedding.host", "127.0.0.1",
                    "quarkus.grpc.clients.embedding.port", Integer.toString(process.port),
                    "quarkus.grpc.clients.embedding.test-port", Integer.toString(process.port));
        } catch (Exception e) {
            throw new IllegalStateException("cannot start embedding-service", e);
        }
    }

    @Override
    public void stop() {
        if (process != null) {
            process.close();
        }
    }
}
