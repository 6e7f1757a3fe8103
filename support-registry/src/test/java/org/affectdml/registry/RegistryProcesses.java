package org.affectdml.registry;

import org.affectdml.service.testing.ServiceProcess;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Packaged support-registry processes on the test database, calling one embedding-service, as the replicas of a deployment. */
final class RegistryProcesses {

    static final String TEST_DB_URL = System.getenv().getOrDefault("AFFECT_TEST_DB_URL", "jdbc:postgresql://127.0.0.1:5432/affect_test");

    private RegistryProcesses() {
    }

    /** A registry with these keys calling embedding-service on {@code embeddingPort}; {@code extra} settings on top. */
    static ServiceProcess start(int embeddingPort, String adminKey, String clientKey, Map<String, String> extra, Path logs) throws Exception {
        Map<String, String> props = new HashMap<>(Map.of(
                "quarkus.datasource.jdbc.url", TEST_DB_URL,
                "quarkus.grpc.clients.embedding.host", "127.0.0.1",
                "quarkus.grpc.clients.embedding.port", Integer.toString(embeddingPort),
                "affect.registry.auth.admin-keys", adminKey,
                "affect.registry.auth.client-keys", clientKey));
        props.putAll(extra);
        return ServiceProcess.start(ServiceProcess.requirePackagedApp("support-registry"), props, logs);
    }
}
