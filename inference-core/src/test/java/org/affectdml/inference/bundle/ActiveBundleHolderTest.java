package org.affectdml.inference.bundle;

import ai.onnxruntime.OnnxTensor;
import org.affectdml.inference.onnx.OrtSessionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import static org.affectdml.inference.bundle.BundleTestSupport.LOADER;
import static org.affectdml.inference.bundle.BundleTestSupport.copyWithManifest;
import static org.affectdml.inference.bundle.BundleTestSupport.forceActive;
import static org.affectdml.inference.bundle.BundleTestSupport.publishTinyDefault;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ActiveBundleHolderTest {

    @TempDir
    Path tmp;

    private static void runHead(LoadedBundle bundle) throws Exception {
        var env = OrtSessionFactory.environment();
        try (OnnxTensor a = OnnxTensor.createTensor(env, new float[1][48]);
             OnnxTensor b = OnnxTensor.createTensor(env, new float[1][48]);
             OnnxTensor c = OnnxTensor.createTensor(env, new float[1][6]);
             var r = bundle.session(Roles.HEAD).run(Map.of(Roles.HEAD_IMAGE_FEATURES, a, Roles.HEAD_BODY_FEATURES, b, Roles.HEAD_SEM2VEC, c))) {
            assertEquals(1, ((float[][]) r.get(0).getValue()).length);
        }
    }

    @Test
    void withoutAnActiveBundleLeasesFailWithAnActionableMessage() {
        try (var holder = new ActiveBundleHolder(new ModelStore(tmp), LOADER, Set.of(Roles.HEAD))) {
            holder.start(java.time.Duration.ofHours(1));
            NoActiveBundleException e = assertThrows(NoActiveBundleException.class, holder::lease);
            assertTrue(e.getMessage().contains("no model bundle is active"), e.getMessage());
        }
    }

    @Test
    void swapsToANewlyActivatedBundleWhileInFlightRequestsFinishOnTheOldOne() throws Exception {
        ModelStore store = new ModelStore(tmp.resolve("store"));
        String v1 = publishTinyDefault(store, tmp.resolve("src"));
        store.activate(v1, LOADER);
        String v2 = copyWithManifest(store, v1, "second", m -> m);
        try (var holder = new ActiveBundleHolder(store, LOADER, Set.of(Roles.HEAD))) {
            holder.start(java.time.Duration.ofHours(1));
            try (var inFlight = holder.lease()) {
                assertEquals(v1, inFlight.bundle().version());
                store.activate(v2, LOADER);
                assertTrue(holder.refresh());
                try (var next = holder.lease()) {
                    assertEquals(v2, next.bundle().version());
                }
                // The old bundle was swapped out but its sessions stay open until this lease ends.
                runHead(inFlight.bundle());
            }
            assertEquals(v2, holder.servingVersion().orElseThrow());
        }
    }

    @Test
    void aRequestForTheNewlyActivatedVersionLoadsItWithoutWaitingForTheWatcher() throws Exception {
        ModelStore store = new ModelStore(tmp.resolve("store"));
        String v1 = publishTinyDefault(store, tmp.resolve("src"));
        store.activate(v1, LOADER);
        String v2 = copyWithManifest(store, v1, "asked-for", m -> m);
        String v3 = copyWithManifest(store, v1, "published-not-active", m -> m);
        try (var holder = new ActiveBundleHolder(store, LOADER, Set.of(Roles.HEAD), java.time.Duration.ofHours(1))) {
            holder.start(java.time.Duration.ofHours(1));  // the watcher will not look again during the test
            store.activate(v2, LOADER);
            try (var lease = holder.lease(v2)) {
                assertEquals(v2, lease.bundle().version(), "loaded on demand");
            }
            try (var old = holder.lease(v1)) {
                assertEquals(v1, old.bundle().version(), "the replaced one is kept");
            }
            NoActiveBundleException e = assertThrows(NoActiveBundleException.class, () -> holder.lease(v3));
            assertTrue(e.getMessage().contains("is not loaded here"), "a version that is not active is not loaded: " + e.getMessage());
        }
    }

    @Test
    void aRetainedBundleIsReleasedAfterItsTimeAndClosesWhenItsLastRequestEnds() throws Exception {
        ModelStore store = new ModelStore(tmp.resolve("store"));
        String v1 = publishTinyDefault(store, tmp.resolve("src"));
        store.activate(v1, LOADER);
        String v2 = copyWithManifest(store, v1, "next", m -> m);
        // 3 s of retention: the check right after the swap takes microseconds, and the release is awaited (30 s)
        try (var holder = new ActiveBundleHolder(store, LOADER, Set.of(Roles.HEAD), java.time.Duration.ofSeconds(3))) {
            holder.start(java.time.Duration.ofHours(1));
            var inFlight = holder.lease(v1);
            store.activate(v2, LOADER);
            holder.refresh();
            assertEquals(java.util.Optional.of(v1), holder.previousVersion(), "retained after the swap");
            long deadline = System.currentTimeMillis() + 30_000;
            while (holder.previousVersion().isPresent() && System.currentTimeMillis() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(java.util.Optional.empty(), holder.previousVersion(), "released after its time");
            assertThrows(NoActiveBundleException.class, () -> holder.lease(v1));
            runHead(inFlight.bundle());  // a request still holding it finishes on it
            inFlight.close();
        }
    }

    @Test
    void aBrokenActiveBundleNeverReplacesTheServingOne() throws Exception {
        ModelStore store = new ModelStore(tmp.resolve("store"));
        String good = publishTinyDefault(store, tmp.resolve("src"));
        store.activate(good, LOADER);
        String broken = copyWithManifest(store, good, "broken", m -> BundleTestSupport.withFile(m, Roles.HEAD,
                new ModelFile("head.onnx", "0".repeat(64), 0, m.file(Roles.HEAD).inputs(), m.file(Roles.HEAD).outputs(), null)));
        try (var holder = new ActiveBundleHolder(store, LOADER, Set.of(Roles.HEAD))) {
            holder.start(java.time.Duration.ofHours(1));
            forceActive(store, broken);
            assertFalse(holder.refresh());
            assertEquals(good, holder.servingVersion().orElseThrow());
            assertTrue(holder.lastError().orElseThrow().contains("broken failed verification"));
            try (var lease = holder.lease()) {
                runHead(lease.bundle());
            }
            // Not retried on every poll; retried once ACTIVE changes.
            assertFalse(holder.refresh());
        }
    }

    @Test
    void pollingPicksUpActivationWithoutAnExplicitRefresh() throws Exception {
        ModelStore store = new ModelStore(tmp.resolve("store"));
        String v1 = publishTinyDefault(store, tmp.resolve("src"));
        try (var holder = new ActiveBundleHolder(store, LOADER, Set.of(Roles.HEAD))) {
            holder.start(java.time.Duration.ofMillis(50));
            store.activate(v1, LOADER);
            long deadline = System.currentTimeMillis() + 10_000;
            while (holder.servingVersion().isEmpty() && System.currentTimeMillis() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(v1, holder.servingVersion().orElse("none after 10 s"));
        }
    }
}
