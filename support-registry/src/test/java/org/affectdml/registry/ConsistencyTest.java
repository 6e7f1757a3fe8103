package org.affectdml.registry;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import org.affectdml.inference.bundle.BundleLoader;
import org.affectdml.inference.bundle.BundleTestSupport;
import org.affectdml.inference.bundle.ModelStore;
import org.affectdml.inference.onnx.OrtSessionFactory;
import org.affectdml.service.testing.PrometheusScrape;
import org.affectdml.proto.v1.ClassifyResponse;
import org.affectdml.proto.v1.DeleteTaxonomyRequest;
import org.affectdml.proto.v1.GetReembeddingStatusRequest;
import org.affectdml.proto.v1.ListSupportsRequest;
import org.affectdml.proto.v1.ReembeddingStatus;
import org.affectdml.registry.service.ServingVersions;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.affectdml.registry.RegistryTestSupport.NEAR_BOX;
import static org.affectdml.registry.RegistryTestSupport.classify;
import static org.affectdml.registry.RegistryTestSupport.nearDuplicate;
import static org.affectdml.registry.RegistryTestSupport.support;
import static org.affectdml.registry.RegistryTestSupport.taxonomy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Model-version migration and concurrent deletes, against the real services (the database outage: DatabaseOutageIT). */
@QuarkusTest
@QuarkusTestResource(EmbeddingServiceProcess.class)
class ConsistencyTest extends RegistryStubs {

    @Inject
    ServingVersions servingVersions;
    @Inject
    EntityManager em;

    @Test
    void activatingANewModelReembedsEverySupportAndClassifyFollows() throws Exception {
        RegistryTestSupport.threeClassTaxonomy(admin, "migrating");
        String v1 = client.classify(classify("migrating", nearDuplicate(0), NEAR_BOX)).getModelVersion();
        // a rejection rule set for v1: after the switch to v2 its thresholds are reported stale until confirmed
        long revision = admin.getTaxonomy(org.affectdml.proto.v1.GetTaxonomyRequest.newBuilder().setName("migrating").build()).getRevision();
        admin.updateTaxonomy(org.affectdml.proto.v1.UpdateTaxonomyRequest.newBuilder().setName("migrating").setExpectedRevision(revision)
                .setRejection(org.affectdml.proto.v1.RejectionRule.newBuilder().setMaxDistance(2)).build());
        assertFalse(client.classify(classify("migrating", nearDuplicate(0), NEAR_BOX)).getRejectionStale());

        PrometheusScrape before = PrometheusScrape.of(url.toString());
        ModelStore store = new ModelStore(Path.of(System.getProperty(EmbeddingServiceProcess.STORE_PROPERTY)));
        String v2 = BundleTestSupport.copyWithManifest(store, v1, v1 + "-next", m -> m);
        store.activate(v2, new BundleLoader(OrtSessionFactory.cpu(1)));

        ReembeddingStatus status = null;
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            status = admin.getReembeddingStatus(GetReembeddingStatusRequest.getDefaultInstance());
            if (status.getTargetModelVersion().equals(v2) && status.getSamplesDone() == status.getSamplesTotal()
                    && status.getTaxonomiesReady() == status.getTaxonomiesTotal()) {
                break;
            }
            Thread.sleep(200);
        }
        assertEquals(v2, status.getTargetModelVersion(), status.toString());
        assertEquals(status.getSamplesTotal(), status.getSamplesDone(), status.toString());

        ClassifyResponse after = client.classify(classify("migrating", nearDuplicate(2), NEAR_BOX));
        assertEquals(v2, after.getModelVersion());
        assertEquals("calm", after.getClasses(0).getClassName());
        assertTrue(after.getRejectionStale(), "thresholds set for " + v1 + " are stale in answers of " + v2);
        long now = admin.getTaxonomy(org.affectdml.proto.v1.GetTaxonomyRequest.newBuilder().setName("migrating").build()).getRevision();
        var confirmed = admin.updateTaxonomy(org.affectdml.proto.v1.UpdateTaxonomyRequest.newBuilder().setName("migrating")
                .setExpectedRevision(now).setConfirmRejection(true).build());
        assertEquals(v2, confirmed.getRejection().getModelVersion());
        assertFalse(client.classify(classify("migrating", nearDuplicate(2), NEAR_BOX)).getRejectionStale());

        // The migration shows in the metrics: every support re-embedded, none pending, the new target, and
        // Classify counted under the version that served it; the pool and per-RPC histograms are exported.
        PrometheusScrape m = PrometheusScrape.of(url.toString());
        double reembedded = m.value("affect_registry_reembedding_embedded_total").orElseThrow()
                - before.value("affect_registry_reembedding_embedded_total").orElse(0);
        assertTrue(reembedded >= status.getSamplesTotal(), "re-embedded " + reembedded + " of " + status.getSamplesTotal());
        assertEquals(0, m.value("affect_registry_reembedding_pending").orElseThrow());
        assertEquals(1, m.value("affect_registry_model_target", "version", v2).orElseThrow(), m.text());
        assertTrue(m.value("affect_registry_classify_total", "model_version", v2).orElseThrow() >= 1);
        assertTrue(m.value("affect_registry_classify_stage_seconds_count", "stage", "knn").orElseThrow() >= 2);
        assertTrue(m.value("grpc_server_processing_duration_seconds_bucket", "method", "Classify", "statusCode", "OK", "le", "+Inf")
                .orElseThrow() >= 2, m.text());
        assertTrue(m.value("grpc_client_processing_duration_seconds_count", "method", "EmbedBatch").orElseThrow() >= 1,
                "the registry's calls to embedding-service are timed too");
        for (String pool : new String[]{"agroal_active_count", "agroal_available_count", "agroal_awaiting_count"}) {
            for (String datasource : new String[]{"default", "search"}) {
                assertTrue(m.value(pool, "datasource", datasource).isPresent(), "connection pool metric " + pool + " of " + datasource + ": " + m.text());
            }
        }
        var sample = admin.listSupports(ListSupportsRequest.newBuilder().setTaxonomy("migrating").build()).getSamples(0);
        assertTrue(sample.getEmbeddedModelVersionsList().containsAll(List.of(v1, v2)), sample.toString());

        // While a taxonomy misses an embedding of the active version it is served with the previous one.
        // (inside one transaction that is rolled back, so the worker cannot refill it meanwhile)
        String chosen;
        QuarkusTransaction.begin();
        try {
            em.createNativeQuery("DELETE FROM support_embedding WHERE sample_id = CAST(?1 AS uuid) AND model_version = ?2")
                    .setParameter(1, sample.getId()).setParameter(2, v2).executeUpdate();
            chosen = servingVersions.pick("migrating", List.of(v2, v1)).orElseThrow();
        } finally {
            QuarkusTransaction.rollback();
        }
        assertEquals(v1, chosen);
        // Complete again after the rollback: served with the active version, as embedding-service reports it.
        assertEquals(Optional.of(v2), servingVersions.servingVersion("migrating"));
    }

    @Test
    void deletingATaxonomyDuringClassifyNeverGivesAHalfAnswer() throws Exception {
        RegistryTestSupport.threeClassTaxonomy(admin, "vanishing");
        AtomicBoolean stop = new AtomicBoolean();
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Integer> answers = new ConcurrentLinkedQueue<>();
        CountDownLatch firstAnswer = new CountDownLatch(1);
        AtomicBoolean notFound = new AtomicBoolean();
        Thread classifier = new Thread(() -> {
            while (!stop.get()) {
                try {
                    ClassifyResponse r = client.classify(classify("vanishing", nearDuplicate(1), NEAR_BOX));
                    answers.add(r.getClassesCount());
                    firstAnswer.countDown();
                    if (r.getClassesCount() != 3) {
                        problems.add("answer with " + r.getClassesCount() + " classes");
                    }
                } catch (StatusRuntimeException e) {
                    if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                        notFound.set(true);
                    } else {
                        problems.add(e.getStatus().toString());
                    }
                    return;
                }
            }
        });
        classifier.start();
        boolean stillClassifying;
        try {
            // The delete comes while Classify calls are running: after the first answer, not after a guessed sleep.
            assertTrue(firstAnswer.await(60, TimeUnit.SECONDS) || !problems.isEmpty(), "no Classify answered before the delete");
            admin.deleteTaxonomy(DeleteTaxonomyRequest.newBuilder().setName("vanishing").build());
            classifier.join(30_000);
            stillClassifying = classifier.isAlive();
        } finally {
            stop.set(true);  // a failed step stops the classifier too: it must not keep calling the shared app
        }
        assertTrue(problems.isEmpty(), problems.toString());
        assertFalse(stillClassifying, "Classify still answered 30 s after the taxonomy was deleted");
        assertTrue(notFound.get(), "the first Classify after the delete answers NOT_FOUND");
    }
}
