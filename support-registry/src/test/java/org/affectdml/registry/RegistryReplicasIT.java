package org.affectdml.registry;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.affectdml.inference.bundle.BundleLoader;
import org.affectdml.inference.bundle.BundleTestSupport;
import org.affectdml.inference.bundle.ModelStore;
import org.affectdml.inference.onnx.OrtSessionFactory;
import org.affectdml.inference.testing.TestImages;
import org.affectdml.inference.testing.TinyModels;
import org.affectdml.proto.v1.ClassificationGrpc;
import org.affectdml.proto.v1.ClassifyRequest;
import org.affectdml.proto.v1.ClassifyResponse;
import org.affectdml.proto.v1.DeleteTaxonomyRequest;
import org.affectdml.proto.v1.EmotionClass;
import org.affectdml.proto.v1.GetReembeddingStatusRequest;
import org.affectdml.proto.v1.GetTaxonomyRequest;
import org.affectdml.proto.v1.RejectionRule;
import org.affectdml.proto.v1.RemoveSupportRequest;
import org.affectdml.proto.v1.UpdateTaxonomyRequest;
import org.affectdml.proto.v1.PersonBox;
import org.affectdml.proto.v1.ReembeddingStatus;
import org.affectdml.proto.v1.TaxonomyAdminGrpc;
import org.affectdml.service.testing.PrometheusScrape;
import org.affectdml.service.testing.ServiceProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.affectdml.registry.RegistryTestSupport.support;
import static org.affectdml.registry.RegistryTestSupport.taxonomy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two packaged registry processes on one database, as the Kubernetes manifests run them: after a model swap every
 * support is re-embedded once in all (the re-embedding lease), not once per replica, and both replicas report the
 * same progress; when the replica doing the work stops, the other one takes the lease over.
 */
class RegistryReplicasIT {

    private static final String ADMIN = "replicas-admin-key";

    @TempDir
    Path tmp;

    @Test
    void aModelSwapIsReembeddedOnceAcrossReplicasAndTheOtherReplicaTakesOver() throws Exception {
        Path store = tmp.resolve("store");
        String v1 = TinyModels.activeDefaultBundle(store);
        try (TwoReplicas replicas = new TwoReplicas(store, Map.of("affect.model-store.poll-interval", "200ms"))) {
            ServiceProcess a = replicas.a;
            ServiceProcess b = replicas.b;
            var adminA = RegistryTestSupport.withKey(TaxonomyAdminGrpc.newBlockingStub(replicas.channelA), ADMIN);
            var adminB = RegistryTestSupport.withKey(TaxonomyAdminGrpc.newBlockingStub(replicas.channelB), ADMIN);
            String name = "replicas-" + Long.toHexString(System.nanoTime());
            adminA.createTaxonomy(taxonomy(name, "x", "y"));
            for (int i = 0; i < 20; i++) {
                PersonBox box = RegistryTestSupport.BOX.toBuilder().setX1(10 + i).build();
                adminA.addSupport(support(name, i % 2 == 0 ? "x" : "y", TestImages.png(RegistryTestSupport.scene(i % 4)), box));
            }
            // Supports other tests left in the database may still lack v1: let that settle first.
            long supports = awaitAllEmbeddedWith(v1, adminA).getSamplesTotal();
            var clientA = RegistryTestSupport.withKey(ClassificationGrpc.newBlockingStub(replicas.channelA), ADMIN);
            var clientB = RegistryTestSupport.withKey(ClassificationGrpc.newBlockingStub(replicas.channelB), ADMIN);
            ClassifyRequest query = RegistryTestSupport.classify(name, RegistryTestSupport.nearDuplicate(2), RegistryTestSupport.NEAR_BOX);
            assertEquals(v1, clientA.classify(query).getModelVersion(), "A keeps its check of the taxonomy, embedded in v1");
            assertEquals(v1, clientB.classify(query).getModelVersion(), "B keeps its check of the taxonomy, embedded in v1");
            double beforeA = embedded(a);
            double beforeB = embedded(b);

            ModelStore modelStore = new ModelStore(store);
            String v2 = BundleTestSupport.copyWithManifest(modelStore, v1, v1 + "-next", m -> m);
            modelStore.activate(v2, new BundleLoader(OrtSessionFactory.cpu(1)));
            ReembeddingStatus done = awaitAllEmbeddedWith(v2, adminA);
            assertEquals(supports, done.getSamplesDone());
            assertEquals(done.getSamplesDone(), adminB.getReembeddingStatus(GetReembeddingStatusRequest.getDefaultInstance())
                    .getSamplesDone(), "both replicas report the same progress");

            double byA = embedded(a) - beforeA;
            double byB = embedded(b) - beforeB;
            assertEquals(supports, byA + byB, 0.0, "every support embedded once in all: A " + byA + ", B " + byB);
            assertTrue(byA == 0 || byB == 0, "one replica did the work: A " + byA + ", B " + byB);
            // the re-embedding changed no revision, only the embedding counts the other replica's search statement compares
            // with its kept check
            var idle = byA > 0 ? clientB : clientA;
            idle.classify(query);  // may still name v1: the replica learns of the new active version from this call's Embed answer
            assertEquals(v2, idle.classify(query).getModelVersion(), "the kept check of the replica that did no re-embedding gave way to v2");

            // The worker stops (graceful shutdown releases the lease); the other replica does the next swap.
            ServiceProcess worker = byA > 0 ? a : b;
            ServiceProcess other = worker == a ? b : a;
            var otherAdmin = worker == a ? adminB : adminA;
            double otherBefore = embedded(other);
            worker.close();
            String v3 = BundleTestSupport.copyWithManifest(modelStore, v1, v1 + "-third", m -> m);
            modelStore.activate(v3, new BundleLoader(OrtSessionFactory.cpu(1)));
            awaitAllEmbeddedWith(v3, otherAdmin);
            assertEquals(supports, embedded(other) - otherBefore, 0.0, "the remaining replica took the work over");
        }
    }

    /**
     * Classify keeps each taxonomy as last read, validated by the revision its search statement returns
     * (ClassifiedTaxonomies): every change made on one replica shows in the very next Classify on the other, which has
     * the taxonomy kept from before the change.
     */
    @Test
    void aChangeOnOneReplicaShowsInTheNextClassifyOnTheOther() throws Exception {
        Path store = tmp.resolve("store");
        TinyModels.activeDefaultBundle(store);
        try (TwoReplicas replicas = new TwoReplicas(store, Map.of())) {
            var adminA = RegistryTestSupport.withKey(TaxonomyAdminGrpc.newBlockingStub(replicas.channelA), ADMIN);
            var clientB = RegistryTestSupport.withKey(ClassificationGrpc.newBlockingStub(replicas.channelB), ADMIN);
            String name = "kept-" + Long.toHexString(System.nanoTime());
            adminA.createTaxonomy(taxonomy(name, "x", "y"));
            String xSupport = adminA.addSupport(support(name, "x", TestImages.png(RegistryTestSupport.scene(0)), RegistryTestSupport.BOX))
                    .getSample().getId();
            adminA.addSupport(support(name, "y", TestImages.png(RegistryTestSupport.scene(1)), RegistryTestSupport.BOX));
            ClassifyRequest query = RegistryTestSupport.classify(name, RegistryTestSupport.nearDuplicate(2), RegistryTestSupport.NEAR_BOX);
            ClassifyResponse first = clientB.classify(query);
            assertEquals(revision(adminA, name), first.getTaxonomyRevision());
            assertEquals(2, first.getClassesCount());
            assertEquals(first, clientB.classify(query), "a second call, from the taxonomy kept, answers the same");

            // a class added (with its support) on A
            adminA.updateTaxonomy(UpdateTaxonomyRequest.newBuilder().setName(name).setExpectedRevision(revision(adminA, name))
                    .addAddClasses(EmotionClass.newBuilder().setName("z")).build());
            adminA.addSupport(support(name, "z", TestImages.png(RegistryTestSupport.scene(2)), RegistryTestSupport.BOX));
            ClassifyResponse added = clientB.classify(query);
            assertEquals(revision(adminA, name), added.getTaxonomyRevision());
            assertEquals(3, added.getClassesCount(), added.toString());
            assertEquals("z", added.getClasses(0).getClassName(), "the query is a near-duplicate of z's support: " + added);

            // a rejection rule set on A: B's next answer applies it
            adminA.updateTaxonomy(UpdateTaxonomyRequest.newBuilder().setName(name).setExpectedRevision(revision(adminA, name))
                    .setRejection(RejectionRule.newBuilder().setMaxDistance(1e-6f)).build());
            ClassifyResponse rejected = clientB.classify(query);
            assertEquals(revision(adminA, name), rejected.getTaxonomyRevision());
            assertTrue(rejected.getUnknown(), "the new distance limit is applied: " + rejected);
            assertEquals(1e-6f, rejected.getClasses(0).getMaxDistance(), 1e-9f);

            // and cleared, and the class removed
            adminA.updateTaxonomy(UpdateTaxonomyRequest.newBuilder().setName(name).setExpectedRevision(revision(adminA, name))
                    .setClearRejection(true).addRemoveClasses("z").build());
            ClassifyResponse removed = clientB.classify(query);
            assertEquals(revision(adminA, name), removed.getTaxonomyRevision());
            assertFalse(removed.getUnknown(), removed.toString());
            assertEquals(2, removed.getClassesCount(), removed.toString());
            assertTrue(removed.getClassesList().stream().noneMatch(c -> c.getClassName().equals("z")), removed.toString());

            // B also keeps the check before embedding (two classes, each with a support): changes that make it fail on A
            // are answered on B as the database is now, never from what B kept
            adminA.updateTaxonomy(UpdateTaxonomyRequest.newBuilder().setName(name).setExpectedRevision(revision(adminA, name))
                    .addAddClasses(EmotionClass.newBuilder().setName("w")).build());
            assertRefused(Status.Code.FAILED_PRECONDITION, "[w] have no support", () -> clientB.classify(query));
            adminA.updateTaxonomy(UpdateTaxonomyRequest.newBuilder().setName(name).setExpectedRevision(revision(adminA, name))
                    .addRemoveClasses("w").build());
            assertEquals(2, clientB.classify(query).getClassesCount(), "classifiable again");
            adminA.removeSupport(RemoveSupportRequest.newBuilder().setTaxonomy(name).setSupportId(xSupport).build());
            assertRefused(Status.Code.FAILED_PRECONDITION, "[x] have no support", () -> clientB.classify(query));

            // deleted on A and created again under the same name (a new id): B answers from the new one
            adminA.deleteTaxonomy(DeleteTaxonomyRequest.newBuilder().setName(name).build());
            adminA.createTaxonomy(taxonomy(name, "p", "q"));
            adminA.addSupport(support(name, "p", TestImages.png(RegistryTestSupport.scene(0)), RegistryTestSupport.BOX));
            adminA.addSupport(support(name, "q", TestImages.png(RegistryTestSupport.scene(2)), RegistryTestSupport.BOX));
            ClassifyResponse recreated = clientB.classify(query);
            assertEquals("q", recreated.getClasses(0).getClassName(), recreated.toString());

            adminA.deleteTaxonomy(DeleteTaxonomyRequest.newBuilder().setName(name).build());
            assertRefused(Status.Code.NOT_FOUND, name, () -> clientB.classify(query));
        }
    }

    /**
     * A replica that reuses the model versions it last asked embedding-service for (no GetModel per Classify) meets a
     * taxonomy embedded only in a version activated since: it asks again and answers with that version, rather than
     * refusing the taxonomy as not yet embedded. Replica B keeps its versions for 10 minutes and its re-embedding worker
     * sleeps, so nothing but that Classify can tell it of the new version.
     */
    @Test
    void aTaxonomyEmbeddedOnlyInAVersionNewerThanTheReplicaKnowsIsClassifiedWithIt() throws Exception {
        Path store = tmp.resolve("store");
        String v1 = TinyModels.activeDefaultBundle(store);
        try (TwoReplicas replicas = new TwoReplicas(store, Map.of("affect.model-store.poll-interval", "200ms"),
                Map.of("affect.registry.model-info-max-age", "10m", "affect.registry.reembedding.interval", "1h"))) {
            var adminA = RegistryTestSupport.withKey(TaxonomyAdminGrpc.newBlockingStub(replicas.channelA), ADMIN);
            var clientB = RegistryTestSupport.withKey(ClassificationGrpc.newBlockingStub(replicas.channelB), ADMIN);
            String before = "before-" + Long.toHexString(System.nanoTime());
            adminA.createTaxonomy(taxonomy(before, "x", "y"));
            adminA.addSupport(support(before, "x", TestImages.png(RegistryTestSupport.scene(0)), RegistryTestSupport.BOX));
            adminA.addSupport(support(before, "y", TestImages.png(RegistryTestSupport.scene(1)), RegistryTestSupport.BOX));
            awaitAllEmbeddedWith(v1, adminA);
            ClassifyRequest first = RegistryTestSupport.classify(before, RegistryTestSupport.nearDuplicate(2), RegistryTestSupport.NEAR_BOX);
            assertEquals(v1, clientB.classify(first).getModelVersion(), "B asks for the versions once and keeps them");

            ModelStore modelStore = new ModelStore(store);
            String v2 = BundleTestSupport.copyWithManifest(modelStore, v1, v1 + "-next", m -> m);
            modelStore.activate(v2, new BundleLoader(OrtSessionFactory.cpu(1)));
            awaitAllEmbeddedWith(v2, adminA);  // A's worker re-embeds; embedding-service serves v2
            String after = "after-" + Long.toHexString(System.nanoTime());
            adminA.createTaxonomy(taxonomy(after, "x", "y"));
            adminA.addSupport(support(after, "x", TestImages.png(RegistryTestSupport.scene(0)), RegistryTestSupport.BOX));
            adminA.addSupport(support(after, "y", TestImages.png(RegistryTestSupport.scene(1)), RegistryTestSupport.BOX));

            ClassifyResponse answer = clientB.classify(RegistryTestSupport.classify(after, RegistryTestSupport.nearDuplicate(2),
                    RegistryTestSupport.NEAR_BOX));
            assertEquals(v2, answer.getModelVersion(), "the taxonomy has supports in " + v2 + " only: " + answer);
            assertEquals(2, answer.getClassesCount(), answer.toString());
        }
    }

    private static void assertRefused(Status.Code code, String messagePart, org.junit.jupiter.api.function.Executable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
        assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(e.getStatus().getDescription().contains(messagePart), e.getStatus().toString());
    }

    /** embedding-service (tiny bundle of {@code store}, Sem2Vec in-process) and two registry replicas, a channel to each. */
    private final class TwoReplicas implements AutoCloseable {
        final ServiceProcess embedding;
        final ServiceProcess a;
        final ServiceProcess b;
        final ManagedChannel channelA;
        final ManagedChannel channelB;

        TwoReplicas(Path store, Map<String, String> embeddingSettings) throws Exception {
            this(store, embeddingSettings, Map.of());
        }

        /** With {@code replicaBSettings} on top of replica B's (A's are the same as ever). */
        TwoReplicas(Path store, Map<String, String> embeddingSettings, Map<String, String> replicaBSettings) throws Exception {
            Map<String, String> models = new java.util.HashMap<>(Map.of("affect.model-store.path", store.toString(),
                    "affect.embedding.segmentation", "in-process", "affect.onnx.intra-op-threads", "1"));
            models.putAll(embeddingSettings);
            embedding = ServiceProcess.start(ServiceProcess.requirePackagedApp("embedding-service"), models, tmp.resolve("logs"));
            a = registry(embedding.port, Map.of());
            b = registry(embedding.port, replicaBSettings);
            channelA = ManagedChannelBuilder.forAddress("127.0.0.1", a.port).usePlaintext().build();
            channelB = ManagedChannelBuilder.forAddress("127.0.0.1", b.port).usePlaintext().build();
        }

        @Override
        public void close() {
            channelA.shutdownNow();
            channelB.shutdownNow();
            b.close();
            a.close();
            embedding.close();
        }
    }

    private static long revision(TaxonomyAdminGrpc.TaxonomyAdminBlockingStub admin, String name) {
        return admin.getTaxonomy(GetTaxonomyRequest.newBuilder().setName(name).build()).getRevision();
    }

    private ServiceProcess registry(int embeddingPort, Map<String, String> settings) throws Exception {
        // The lease is renewed every pass (200 ms) and after every batch; the default 30 s time-to-live, not a short
        // one, so that a batch slowed by a loaded machine never passes the lease mid-run and splits the work by chance.
        // The take-over below waits at most that long (a graceful stop releases the lease at once).
        Map<String, String> all = new java.util.HashMap<>(Map.of("affect.registry.reembedding.interval", "200ms",
                "affect.registry.reembedding.lease-ttl", "30s"));
        all.putAll(settings);
        return RegistryProcesses.start(embeddingPort, ADMIN, "replicas-client-key", all, tmp.resolve("logs"));
    }

    private static ReembeddingStatus awaitAllEmbeddedWith(String version, TaxonomyAdminGrpc.TaxonomyAdminBlockingStub admin)
            throws InterruptedException {
        ReembeddingStatus status = null;
        long deadline = System.currentTimeMillis() + 90_000;
        while (System.currentTimeMillis() < deadline) {
            status = admin.getReembeddingStatus(GetReembeddingStatusRequest.getDefaultInstance());
            if (status.getTargetModelVersion().equals(version) && status.getSamplesDone() == status.getSamplesTotal()) {
                return status;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("not all supports embedded with " + version + " in 90 s: " + status);
    }

    private static double embedded(ServiceProcess registry) throws Exception {
        return PrometheusScrape.of(registry.managementUrl()).value("affect_registry_reembedding_embedded_total").orElse(0);
    }
}
