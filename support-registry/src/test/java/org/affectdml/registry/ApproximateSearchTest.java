package org.affectdml.registry;

import io.grpc.ManagedChannel;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.affectdml.proto.v1.ClassEvidence;
import org.affectdml.proto.v1.ClassScore;
import org.affectdml.proto.v1.ClassificationGrpc;
import org.affectdml.proto.v1.ClassifyRequest;
import org.affectdml.proto.v1.ClassifyResponse;
import org.affectdml.proto.v1.TaxonomyAdminGrpc;
import org.affectdml.service.testing.GrpcTestChannels;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.util.Map;

import static org.affectdml.registry.RegistryTestSupport.ADMIN_KEY;
import static org.affectdml.registry.RegistryTestSupport.CLIENT_KEY;
import static org.affectdml.registry.RegistryTestSupport.NEAR_BOX;
import static org.affectdml.registry.RegistryTestSupport.classify;
import static org.affectdml.registry.RegistryTestSupport.nearDuplicate;
import static org.affectdml.registry.RegistryTestSupport.withKey;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Taxonomies above {@code affect.registry.exact-search-max-supports} take the approximate path (the HNSW settings in one
 * statement, the candidates statement, and an exact search only for classes the candidates missed). Here every
 * taxonomy is "large" (the limit is 1) and each class has one support, so the path must give each class that support's
 * exact distance: the answer is compared with the explanation's, which an exact search computes. With so few rows the
 * planner may answer the candidates statement from the (taxonomy, version) index instead of HNSW, and the candidates
 * cover every class: this tests the path's statements and its answer, not HNSW recall or the fill-in (KnnBenchmark does).
 */
@QuarkusTest
@TestProfile(ApproximateSearchTest.EveryTaxonomyLarge.class)
@QuarkusTestResource(EmbeddingServiceProcess.class)
class ApproximateSearchTest {

    public static class EveryTaxonomyLarge implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("affect.registry.exact-search-max-supports", "1");
        }
    }

    @TestHTTPResource("/")
    URL url;

    @Test
    void aLargeTaxonomyIsSearchedThroughTheIndexWithTheExactDistancesOfEveryClass() {
        ManagedChannel channel = GrpcTestChannels.to(url);
        try {
            var admin = withKey(TaxonomyAdminGrpc.newBlockingStub(channel), ADMIN_KEY);
            var client = withKey(ClassificationGrpc.newBlockingStub(channel), CLIENT_KEY);
            String name = "approximate-" + Long.toHexString(System.nanoTime());
            RegistryTestSupport.threeClassTaxonomy(admin, name);
            ClassifyRequest query = classify(name, nearDuplicate(0), NEAR_BOX);

            ClassifyResponse answer = client.classify(query);
            ClassifyResponse explained = client.classify(query.toBuilder().setExplain(true).setExplainSupports(1).build());
            assertEquals(3, answer.getClassesCount(), "every class is ranked: " + answer);
            assertEquals("joy", answer.getClasses(0).getClassName(), "the query is a near-duplicate of joy's support: " + answer);
            for (ClassScore c : answer.getClassesList()) {
                ClassEvidence exact = explained.getExplanation().getClassesList().stream()
                        .filter(e -> e.getClassName().equals(c.getClassName())).findFirst().orElseThrow();
                assertEquals(exact.getNearestSupports(0).getSupportId(), c.getNearestSupportId(), c.getClassName());
                assertEquals(exact.getNearestSupports(0).getDistance(), c.getDistance(), 1e-6f, c.getClassName());
            }
        } finally {
            channel.shutdownNow();
        }
    }
}
