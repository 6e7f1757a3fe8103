package org.affectdml.registry.bench;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The KNN benchmark, small, against the test database, so a broken benchmark fails the suite: both search paths
 * (exact, and HNSW with iterative scan for a taxonomy above the exact-search limit) and the mean-prototype rule (the
 * means kept on write by the registry's migration, and averaged per query) run the production SQL.
 */
class KnnBenchmarkSmokeTest {

    @Test
    void bothSearchPathsRunAndAgreeWithExactSearch() throws Exception {
        String url = System.getenv().getOrDefault("AFFECT_TEST_DB_URL", "jdbc:postgresql://127.0.0.1:5432/affect_test");
        List<KnnBenchmark.Result> results = KnnBenchmark.run(url, 300, 1500, 10, 20, 1000, 200);
        assertEquals(List.of(KnnBenchmark.Path.EXACT, KnnBenchmark.Path.EXACT_TWO_PASS, KnnBenchmark.Path.APPROXIMATE, KnnBenchmark.Path.MEAN_KEPT,
                KnnBenchmark.Path.MEAN_AVERAGED, KnnBenchmark.Path.EXACT), results.stream().map(KnnBenchmark.Result::path).toList());
        for (KnnBenchmark.Result r : results) {
            assertTrue(r.p50Ms() > 0 && r.p90Ms() >= r.p50Ms(), r.toString());
            // recall against a brute-force search in Java: the exact path and both mean-prototype ones (the kept means
            // are the loaded supports' means) find every nearest class, the HNSW path (well-separated synthetic
            // clusters) nearly every one
            assertTrue(r.path() == KnnBenchmark.Path.APPROXIMATE ? r.recallAt1() >= 0.9 : r.recallAt1() == 1.0, r.toString());
            assertTrue(r.bareScanP50Ms() > 0, r.toString());
            assertTrue(r.plan().contains("Execution Time"), "each scenario shows its plan: " + r.plan());
        }
    }
}
