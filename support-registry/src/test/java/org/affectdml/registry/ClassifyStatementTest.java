package org.affectdml.registry;

import io.agroal.api.AgroalDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.affectdml.registry.bench.ClassifyOverheadBenchmark;
import org.affectdml.registry.bench.KnnBenchmark;
import org.affectdml.registry.repository.SupportEmbeddingRepository;
import org.affectdml.registry.repository.SupportEmbeddingRepository.ClassDistance;
import org.affectdml.registry.repository.VectorText;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Classify's exact search statements on the real database: the one statement of a common Classify is prepared on the
 * server (no parsing per call) and planned once per connection, with a plan that can reach only the asked taxonomy's rows;
 * the two-pass statement of large taxonomies is planned for each call's own taxonomy (a generic plan of it would ignore
 * which taxonomy is asked for); and the two-pass search finds what sorting every row finds. The rows are written
 * straight to the tables with a made-up version, so the re-embedding worker sleeps (it would prune them). Vectors come
 * from seeded generators, so a failure repeats.
 */
@QuarkusTest
@TestProfile(ClassPrototypeTest.WorkerAsleep.class)
@QuarkusTestResource(EmbeddingServiceProcess.class)
class ClassifyStatementTest {

    @Inject
    AgroalDataSource dataSource;

    @Inject
    @io.quarkus.agroal.DataSource("search")
    AgroalDataSource searchDataSource;

    @Inject
    SupportEmbeddingRepository supportEmbeddings;

    /**
     * The common statement (below the two-pass size) runs on the search datasource: prepared once per connection and
     * planned once (a generic plan), answering what a plan made for the call's own taxonomy answers.
     */
    @Test
    void theCommonStatementIsPlannedOnceAndAnswersAsAPlanForItsOwnTaxonomy() throws Exception {
        SupportRows db = new SupportRows(dataSource, new Random(20261210));
        long small = taxonomy(db, "generic-small", List.of(2, 2), false);
        long large = taxonomy(db, "generic-large", List.of(30, 30, 40), false);
        try (Connection search = searchDataSource.getConnection(); Connection main = dataSource.getConnection()) {
            assertEquals("force_generic_plan", setting(search, "plan_cache_mode"), "the search datasource plans once per connection");
            assertEquals("off", setting(search, "enable_seqscan"), "the search datasource's one plan may not scan the whole table");
            searchAlternately(db, search, main, false, small, 4, large, 100);
            Plans plans = plansOfTheCheckedStatement(search);
            assertTrue(plans.generic() >= 20, "one generic plan for every call: " + plans);
            assertEquals(0, plans.custom(), "no call planned for itself");
        }
    }

    /**
     * The one plan of the common statement reads only the asked taxonomy's rows, through the (taxonomy, version) index,
     * even where the statistics make a sequential scan the cheaper generic plan: one taxonomy holding nearly every row of
     * the table. Run on a connection made as the search datasource makes its own (its JDBC properties, on its URL), in a
     * scratch schema that the statement's unqualified support_embedding resolves to.
     */
    @Test
    void theOnePlanReadsOnlyTheAskedTaxonomyEvenWhereAScanWouldBeCheaper() throws Exception {
        String url = org.eclipse.microprofile.config.ConfigProvider.getConfig().getValue("quarkus.datasource.search.jdbc.url", String.class);
        try (Connection c = ClassifyOverheadBenchmark.connectAs("search", url); java.sql.Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS generic_plan_check CASCADE");
            s.execute("CREATE SCHEMA generic_plan_check");
            try {
                s.execute("SET search_path TO generic_plan_check, public");
                KnnBenchmark.createSupportEmbedding(s, "generic_plan_check");
                s.execute("""
                        INSERT INTO generic_plan_check.support_embedding
                        SELECT gen_random_uuid(), 'v1', CASE WHEN i <= 6 THEN 2 ELSE 1 END, i % 3, array_fill(1 + i % 5, ARRAY[128])::real[]::vector
                        FROM generate_series(1, 20000) i""");
                s.execute("ANALYZE generic_plan_check.support_embedding");
                float[] query = new SupportRows(dataSource, new Random(20261211)).randomUnit();
                SupportEmbeddingRepository.Checked found = SupportEmbeddingRepository.nearestPerClassExactChecked(c, 2, "v1", query, List.of("v1"), false);
                assertEquals(3, found.distances().size(), "the small taxonomy's three classes: " + found.distances());
                assertEquals(List.of(6L), found.embeddedPerVersion());
                String text;
                String name;
                try (ResultSet r = s.executeQuery("""
                        SELECT name, statement FROM pg_prepared_statements
                        WHERE NOT from_sql AND statement LIKE '%array_agg%' AND statement NOT LIKE '%pg_prepared_statements%'""")) {
                    assertTrue(r.next(), "the statement was not prepared on the server");
                    name = r.getString(1);
                    text = r.getString(2);
                }
                String arguments = arguments(VectorText.of(query), 2);
                // the condition this test is about: planned once for any taxonomy, with sequential scans allowed, the table is scanned
                s.execute("SET enable_seqscan = on");
                s.execute("PREPARE scan_allowed AS " + text);
                String scanAllowed = explain(s, "scan_allowed", arguments);
                s.execute("DEALLOCATE scan_allowed");
                s.execute("RESET enable_seqscan");
                assertTrue(scanAllowed.contains("Seq Scan on support_embedding"), "this table no longer makes a scan the cheaper generic plan:\n" + scanAllowed);
                assertReadsOnlyThroughTheScopeIndex(explain(s, name, arguments));
            } finally {
                s.execute("DROP SCHEMA generic_plan_check CASCADE");
            }
        }
    }

    /** The registry's search takes a connection of the search pool for the common statement, and of the main pool for two passes. */
    @Test
    void theCommonStatementTakesTheSearchPoolAndTheTwoPassStatementTheMainPool() throws Exception {
        SupportRows db = new SupportRows(dataSource, new Random(20261212));
        long taxonomy = taxonomy(db, "pools", List.of(2, 3), false);
        long searchBefore = searchDataSource.getMetrics().acquireCount();
        assertEquals(2, supportEmbeddings.nearestPerClassExactChecked(taxonomy, "v1", db.randomUnit(), List.of("v1"), false).distances().size());
        assertEquals(searchBefore + 1, searchDataSource.getMetrics().acquireCount(), "the common statement took a search connection");
        long mainBefore = dataSource.getMetrics().acquireCount();
        assertEquals(2, supportEmbeddings.nearestPerClassExactChecked(taxonomy, "v1", db.randomUnit(), List.of("v1"), true).distances().size());
        assertEquals(searchBefore + 1, searchDataSource.getMetrics().acquireCount(), "the two-pass statement took a search connection");
        assertTrue(dataSource.getMetrics().acquireCount() > mainBefore, "the two-pass statement took no main connection");
    }

    /** The two-pass statement of large taxonomies runs on the main datasource: prepared on the server, planned for each call's taxonomy. */
    @Test
    void theTwoPassStatementIsPreparedOnTheServerAndPlannedForEachCallsTaxonomy() throws Exception {
        SupportRows db = new SupportRows(dataSource, new Random(20261208));
        long small = taxonomy(db, "statement-small", List.of(2, 2), false);
        long large = taxonomy(db, "statement-large", List.of(30, 30), false);
        try (Connection c = dataSource.getConnection()) {
            assertEquals("force_custom_plan", setting(c, "plan_cache_mode"), "the datasource's options keep plans specific");
            searchAlternately(db, c, c, true, small, 4, large, 60);
            Plans plans = plansOfTheCheckedStatement(c);
            assertEquals(0, plans.generic(), "a generic plan was used");
            assertTrue(plans.custom() >= 20, "planned for each call: " + plans);
        }
    }

    /**
     * Taxonomies of random shapes (2-12 classes of 1-300 supports), some with supports repeated within and across classes
     * (equal distances), queried with random vectors and with stored supports (distance 0): the same classes and the same
     * distances, bit for bit, and a support at that distance for each class.
     */
    @Test
    void theTwoPassSearchFindsWhatSortingEveryRowFinds() throws Exception {
        Random random = new Random(20261209);
        SupportRows db = new SupportRows(dataSource, random);
        try (Connection c = dataSource.getConnection()) {
            for (int t = 0; t < 12; t++) {
                List<Integer> sizes = new ArrayList<>();
                for (int k = 2 + random.nextInt(11); k > 0; k--) {
                    sizes.add(1 + random.nextInt(random.nextBoolean() ? 5 : 300));
                }
                boolean repeats = t % 3 == 0;
                long taxonomy = taxonomy(db, "two-pass-" + t, sizes, repeats);
                List<float[]> stored = storedVectors(c, taxonomy);
                for (int q = 0; q < 10; q++) {
                    float[] query = q % 2 == 0 ? db.randomUnit() : stored.get(random.nextInt(stored.size()));
                    List<ClassDistance> sorting = sorted(search(c, SupportEmbeddingRepository.EXACT_NEAREST_PER_CLASS, taxonomy, query));
                    List<ClassDistance> twoPass = sorted(search(c, SupportEmbeddingRepository.EXACT_NEAREST_PER_CLASS_TWO_PASS, taxonomy, query));
                    String where = "taxonomy " + t + " " + sizes + (repeats ? " with repeats" : "") + ", query " + q;
                    assertEquals(sizes.size(), twoPass.size(), where + ": a class missing or twice");
                    for (int i = 0; i < sorting.size(); i++) {
                        assertEquals(sorting.get(i).classId(), twoPass.get(i).classId(), where);
                        assertEquals(sorting.get(i).distance(), twoPass.get(i).distance(), 0.0, where);
                        assertEquals(twoPass.get(i).distance(), distanceOf(c, twoPass.get(i).supportId(), query), 0.0,
                                where + ": the support named is not at the class's distance");
                    }
                }
            }
        }
    }

    /**
     * A taxonomy with a class per entry of {@code sizes} (that many supports), embedded in version v1; with
     * {@code repeats}, every other support repeats an earlier vector (of its class or another).
     */
    private static long taxonomy(SupportRows db, String name, List<Integer> sizes, boolean repeats) throws SQLException {
        long taxonomy = db.createTaxonomy(name);
        List<Object[]> rows = new ArrayList<>();
        List<float[]> vectors = new ArrayList<>();
        for (int position = 0; position < sizes.size(); position++) {
            long classId = db.addClass(taxonomy, "c" + position, position);
            for (int i = 0; i < sizes.get(position); i++) {
                float[] v = repeats && !vectors.isEmpty() && vectors.size() % 2 == 1 ? vectors.get(vectors.size() / 2) : db.randomUnit();
                vectors.add(v);
                rows.add(new Object[]{db.addSample(taxonomy, classId), classId, v});
            }
        }
        db.insertMany(taxonomy, "v1", rows);
        return taxonomy;
    }

    private static List<ClassDistance> search(Connection c, String statement, long taxonomy, float[] query) {
        return new KnnBenchmark.Jdbc(c).distances(statement, VectorText.of(query), taxonomy, "v1");
    }

    /** By class id: the order the statements answer in is theirs. */
    private static List<ClassDistance> sorted(List<ClassDistance> found) {
        return found.stream().sorted(Comparator.comparingLong(ClassDistance::classId)).toList();
    }

    private static double distanceOf(Connection c, String sampleId, float[] query) throws SQLException {
        try (PreparedStatement p = SupportEmbeddingRepository.prepared(c, """
                SELECT embedding <=> CAST(?1 AS vector) FROM support_embedding WHERE sample_id = CAST(?2 AS uuid) AND model_version = 'v1'""",
                VectorText.of(query), sampleId); ResultSet r = p.executeQuery()) {
            assertTrue(r.next(), "no support " + sampleId);
            return r.getDouble(1);
        }
    }

    private static List<float[]> storedVectors(Connection c, long taxonomy) throws SQLException {
        List<float[]> out = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement("SELECT CAST(embedding AS text) FROM support_embedding WHERE taxonomy_id = ?")) {
            p.setLong(1, taxonomy);
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    String[] values = r.getString(1).replaceAll("[\\[\\]]", "").split(",");
                    float[] v = new float[values.length];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = Float.parseFloat(values[i]);
                    }
                    out.add(v);
                }
            }
        }
        return out;
    }

    /**
     * 20 searches with the checked statement on {@code statement}, alternating the two taxonomies: each answers what the
     * sorting statement answers on {@code reference} (planned for its taxonomy), with the taxonomy's embedding count.
     */
    private static void searchAlternately(SupportRows db, Connection statement, Connection reference, boolean twoPass,
                                          long small, long smallSupports, long large, long largeSupports) throws SQLException {
        for (int call = 0; call < 20; call++) {
            long taxonomy = call % 2 == 0 ? small : large;
            float[] query = db.randomUnit();
            SupportEmbeddingRepository.Checked found = SupportEmbeddingRepository.nearestPerClassExactChecked(statement, taxonomy, "v1", query,
                    List.of("v1"), twoPass);
            assertEquals(sorted(search(reference, SupportEmbeddingRepository.EXACT_NEAREST_PER_CLASS, taxonomy, query)), sorted(found.distances()),
                    "call " + call);
            assertEquals(List.of(taxonomy == small ? smallSupports : largeSupports), found.embeddedPerVersion());
        }
    }

    /** How often the checked statement prepared on a connection ran with a generic plan and with one of its own. */
    private record Plans(long generic, long custom) {
    }

    private static Plans plansOfTheCheckedStatement(Connection c) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("""
                SELECT generic_plans, custom_plans FROM pg_prepared_statements
                WHERE NOT from_sql AND statement LIKE '%array_agg%' AND statement NOT LIKE '%pg_prepared_statements%'""");
             ResultSet r = p.executeQuery()) {
            assertTrue(r.next(), "the statement was not prepared on the server");
            Plans plans = new Plans(r.getLong(1), r.getLong(2));
            assertFalse(r.next(), "prepared once per connection, not once per call");
            return plans;
        }
    }

    /**
     * Every node of the plan that reads support_embedding (the search and the embedding count) does so through
     * support_embedding_scope with the taxonomy as its condition: a bitmap heap scan fed by that index, or an index
     * (only) scan of it. Any other access (a sequential scan, another index) could read other taxonomies' rows.
     */
    private static void assertReadsOnlyThroughTheScopeIndex(String plan) {
        int reads = 0;
        for (String line : plan.split("\n")) {
            if (line.contains("Bitmap Index Scan on ")) {
                assertTrue(line.contains("Bitmap Index Scan on support_embedding_scope"), "a bitmap of another index:\n" + plan);
            } else if (line.matches(".* on support_embedding( .*|$)")) {
                reads++;
                assertTrue(line.contains("Bitmap Heap Scan on support_embedding") || line.contains("Scan using support_embedding_scope on support_embedding"),
                        "support_embedding read other than through support_embedding_scope:\n" + plan);
            }
        }
        assertEquals(2, reads, "the search and the embedding count each read support_embedding once:\n" + plan);
        assertTrue(plan.contains("taxonomy_id = $"), "a generic plan, conditioned on the taxonomy parameter:\n" + plan);
    }

    /** The literal arguments of the common statement for EXECUTE, in its parameters' order. */
    private static String arguments(String vector, long taxonomy) {
        return SupportEmbeddingRepository.positional(SupportEmbeddingRepository.exactNearestPerClassChecked(false),
                        vector, taxonomy, "v1", new String[]{"v1"}).stream()
                .map(v -> v instanceof String[] texts ? "'{" + String.join(",", texts) + "}'" : v instanceof String text ? "'" + text + "'" : v.toString())
                .collect(java.util.stream.Collectors.joining(", "));
    }

    /** The plan of a statement prepared on this session as {@code name} (a generic plan shows its parameters as $n). */
    private static String explain(java.sql.Statement s, String name, String arguments) throws SQLException {
        StringBuilder plan = new StringBuilder();
        try (ResultSet r = s.executeQuery("EXPLAIN EXECUTE \"" + name + "\"(" + arguments + ")")) {
            while (r.next()) {
                plan.append(r.getString(1)).append('\n');
            }
        }
        return plan.toString();
    }

    private static String setting(Connection c, String name) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT current_setting(?)")) {
            p.setString(1, name);
            try (ResultSet r = p.executeQuery()) {
                r.next();
                return r.getString(1);
            }
        }
    }
}
