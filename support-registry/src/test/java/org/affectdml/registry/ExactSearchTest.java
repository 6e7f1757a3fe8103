package org.affectdml.registry;

import io.agroal.api.AgroalDataSource;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.affectdml.registry.repository.SupportEmbeddingRepository;
import org.affectdml.registry.repository.SupportEmbeddingRepository.ClassDistance;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The two statements of the exact search (every row sorted, or class by class above
 * {@link SupportEmbeddingRepository#SORT_ALL_MAX_SUPPORTS} supports) answer the same, with and without the checks of
 * Classify's one-statement path, on generated embeddings spread unevenly over the classes, one class having supports in
 * another version only.
 */
@QuarkusTest
@QuarkusTestResource(EmbeddingServiceProcess.class)
class ExactSearchTest {

    @Inject
    AgroalDataSource dataSource;
    @Inject
    SupportEmbeddingRepository embeddings;

    @Test
    void searchingClassByClassFindsWhatSortingEveryRowFinds() throws Exception {
        Random random = new Random(20261208);
        SupportRows db = new SupportRows(dataSource, random);
        long taxonomy = db.createTaxonomy("exact-paths");
        List<Long> classes = new ArrayList<>();
        for (int c = 0; c < 6; c++) {
            classes.add(db.addClass(taxonomy, "c" + c, c));
        }
        int many = (int) SupportEmbeddingRepository.SORT_ALL_MAX_SUPPORTS + 200;
        List<Object[]> v1 = new ArrayList<>();
        for (int i = 0; i < many; i++) {
            long classId = classes.get(Math.min(4, (int) Math.floor(Math.abs(random.nextGaussian()) * 2)));  // uneven; c5 has none
            v1.add(new Object[]{db.addSample(taxonomy, classId), classId});
        }
        db.insertMany(taxonomy, "v1", v1);
        UUID onlyInV2 = db.addSample(taxonomy, classes.get(5));
        db.insertMany(taxonomy, "v2", List.<Object[]>of(new Object[]{onlyInV2, classes.get(5)}));
        try {
            for (int q = 0; q < 10; q++) {
                float[] query = db.randomUnit();
                List<ClassDistance> sorted = QuarkusTransaction.requiringNew().call(() -> embeddings.nearestPerClassExact(taxonomy, "v1", query, 10));
                List<ClassDistance> byClass = QuarkusTransaction.requiringNew().call(() -> embeddings.nearestPerClassExact(taxonomy, "v1", query, many));
                assertTrue(sorted.size() >= 4 && sorted.stream().noneMatch(d -> d.classId() == classes.get(5)), sorted.toString());
                assertEquals(byClassId(sorted), byClassId(byClass), "query " + q);

                var checkedSorted = embeddings.nearestPerClassExactChecked(taxonomy, "v1", query, 10, List.of("v2", "v1"));
                var checkedByClass = embeddings.nearestPerClassExactChecked(taxonomy, "v1", query, many, List.of("v2", "v1"));
                assertEquals(byClassId(sorted), byClassId(checkedSorted.distances()));
                assertEquals(byClassId(sorted), byClassId(checkedByClass.distances()));
                assertEquals(checkedSorted.revision(), checkedByClass.revision());
                assertEquals(List.of(1L, (long) many), checkedByClass.embeddedPerVersion());
            }
        } finally {
            db.execute("DELETE FROM taxonomy WHERE id = ?", taxonomy);
        }
    }

    private static List<ClassDistance> byClassId(List<ClassDistance> distances) {
        return distances.stream().sorted(Comparator.comparingLong(ClassDistance::classId)).toList();
    }
}
