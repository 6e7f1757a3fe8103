package org.affectdml.inference.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;

/**
 * Gives a @QuarkusTest service a model store with the tiny default bundle active, polled every 200 ms.
 * The store's path is also published as system property {@value #STORE_PROPERTY} for tests that activate
 * further bundles.
 */
public class TinyModelStoreResource implements QuarkusTestResourceLifecycleManager {

    public static final String STORE_PROPERTY = "test.affect.model-store";
    private Path dir;

    @Override
    public Map<String, String> start() {
        try {
            dir = Files.createTempDirectory("affect-test-store");
            String version = TinyModels.activeDefaultBundle(dir);
            System.setProperty(STORE_PROPERTY, dir.toString());
            return Map.of("affect.model-store.path", dir.toString(),
                    "affect.model-store.poll-interval", "200ms",
                    "test.affect.bundle-version", version);
        } catch (Exception e) {
            throw new IllegalStateException("cannot build the tiny model store", e);
        }
    }

    @Override
    public void stop() {
        if (dir == null) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (Exception ignored) {
            // temp files; the OS cleans up what remains
        }
    }
}
