package org.affectdml.registry;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.affectdml.proto.v1.ClassScore;
import org.affectdml.proto.v1.ClassifyRequest;
import org.affectdml.proto.v1.ClassifyResponse;
import org.affectdml.proto.v1.SupportMatch;
import org.affectdml.inference.testing.TestImages;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.affectdml.registry.RegistryTestSupport.BOX;
import static org.affectdml.registry.RegistryTestSupport.NEAR_BOX;
import static org.affectdml.registry.RegistryTestSupport.classify;
import static org.affectdml.registry.RegistryTestSupport.nearDuplicate;
import static org.affectdml.registry.RegistryTestSupport.scene;
import static org.affectdml.registry.RegistryTestSupport.support;
import static org.affectdml.registry.RegistryTestSupport.taxonomy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Taxonomies above {@code affect.registry.exact-search-max-supports} take the approximate path (the HNSW settings in one
 * statement, the candidates statement, and an exact search only for classes the candidates missed). Here every
 * taxonomy is "large" (the limit is 1); answers are compared with the explanation's nearest supports, which an exact
 * search computes. With so few rows the planner may answer the candidates statement from the (taxonomy, version) index
 * instead of HNSW: these tests check the path's statements and answers (the second one its fill-in), not HNSW recall
 * (KnnBenchmark measures that).
 */
@QuarkusTest
@TestProfile(ApproximateSearchTest.EveryTaxonomyLarge.class)
@QuarkusTestResource(EmbeddingServiceProcess.class)
class ApproximateSearchTest extends RegistryStubs {

    public static class EveryTaxonomyLarge implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("affect.registry.exact-search-max-supports", "1");
        }
    }

    @Test
    void aLargeTaxonomyIsSearchedThroughTheIndexWithTheExactDistancesOfEveryClass() {
        String name = "approximate-" + Long.toHexString(System.nanoTime());
        RegistryTestSupport.threeClassTaxonomy(admin, name);
        ClassifyRequest query = classify(name, nearDuplicate(0), NEAR_BOX);

        ClassifyResponse answer = client.classify(query);
        ClassifyResponse explained = explained(query);
        assertEquals(3, answer.getClassesCount(), "every class is ranked: " + answer);
        assertEquals("joy", answer.getClasses(0).getClassName(), "the query is a near-duplicate of joy's support: " + answer);
        for (ClassScore c : answer.getClassesList()) {
            assertEquals(exactNearest(explained, c.getClassName()).getSupportId(), c.getNearestSupportId(), c.getClassName());
            assertEquals(exactNearest(explained, c.getClassName()).getDistance(), c.getDistance(), 1e-6f, c.getClassName());
        }
    }

    /**
     * More supports of one class near the query than the candidates statement returns (100): the other class is
     * missing from the candidates and must come from the exact fill-in, with its one support's exact distance.
     */
    @Test
    void aClassTheCandidatesMissIsFilledInWithItsExactDistance() {
        String name = "fill-in-" + Long.toHexString(System.nanoTime());
        admin.createTaxonomy(taxonomy(name, "near", "far"));
        admin.addSupport(support(name, "far", TestImages.png(scene(3)), BOX));
        byte[] image = nearDuplicate(0);
        for (int i = 0; i < 105; i++) {
            admin.addSupport(support(name, "near", image, NEAR_BOX.toBuilder().setX1(NEAR_BOX.getX1() + i % 15)
                    .setY1(NEAR_BOX.getY1() + i / 15).build()));
        }
        ClassifyRequest query = classify(name, image, NEAR_BOX);

        ClassifyResponse answer = client.classify(query);
        ClassifyResponse explained = explained(query);
        assertEquals(2, answer.getClassesCount(), "the class the candidates missed is ranked too: " + answer);
        ClassScore far = answer.getClassesList().stream().filter(c -> c.getClassName().equals("far")).findFirst().orElseThrow();
        ClassScore near = answer.getClassesList().stream().filter(c -> c.getClassName().equals("near")).findFirst().orElseThrow();
        assertEquals(exactNearest(explained, "far").getSupportId(), far.getNearestSupportId());
        assertEquals(exactNearest(explained, "far").getDistance(), far.getDistance(), 1e-6f);
        // an approximate candidate can be farther than the exact nearest, never nearer
        assertTrue(near.getDistance() >= exactNearest(explained, "near").getDistance() - 1e-6f, answer.toString());
    }

    /** The same query explained: each class's nearest support, which an exact search finds. */
    private ClassifyResponse explained(ClassifyRequest query) {
        return client.classify(query.toBuilder().setExplain(true).setExplainSupports(1).build());
    }

    private static SupportMatch exactNearest(ClassifyResponse explained, String className) {
        return explained.getExplanation().getClassesList().stream().filter(e -> e.getClassName().equals(className))
                .findFirst().orElseThrow().getNearestSupports(0);
    }
}
