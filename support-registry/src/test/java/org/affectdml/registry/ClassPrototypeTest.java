package org.affectdml.registry;

import io.agroal.api.AgroalDataSource;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.affectdml.registry.model.StreamVectors;
import org.affectdml.registry.repository.SupportEmbeddingRepository;
import org.affectdml.registry.bench.KnnBenchmark;
import org.affectdml.registry.repository.VectorText;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The class means kept on write (class_prototype, V9 migration) against a recomputation from support_embedding after
 * every kind of write, on the real database: inserts one and many rows at a time, the registry's insert that only fills
 * in projections, deletes of a support, of an embedding, of a whole class and taxonomy (cascades), a version pruned,
 * concurrent writers on one class; and Classify's mean-prototype distances against the per-query average they replace.
 * The vectors are drawn from a seeded generator, so a failure repeats.
 */
@QuarkusTest
@TestProfile(ClassPrototypeTest.WorkerAsleep.class)
@QuarkusTestResource(EmbeddingServiceProcess.class)
class ClassPrototypeTest {

    /**
     * The re-embedding worker asleep: this test writes embeddings of made-up model versions straight to the tables, which
     * the worker (every 300 ms in the test profile) would prune as versions embedding-service does not serve, mid-test.
     */
    public static class WorkerAsleep implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("affect.registry.reembedding.interval", "1h");
        }
    }

    private static final int DIM = SupportRows.DIM;

    @Inject
    AgroalDataSource dataSource;
    @Inject
    SupportEmbeddingRepository embeddings;

    private final Random random = new Random(20261207);
    private SupportRows db;

    @org.junit.jupiter.api.BeforeEach
    void rows() {
        db = new SupportRows(dataSource, random);
    }

    @Test
    void keptMeansMatchARecomputationAfterEveryKindOfWrite() throws Exception {
        long taxonomy = db.createTaxonomy("prototype-writes");
        List<Long> classes = List.of(db.addClass(taxonomy, "a", 0), db.addClass(taxonomy, "b", 1), db.addClass(taxonomy, "c", 2));
        List<UUID> samples = new ArrayList<>();

        // many rows per statement, two versions
        for (String version : List.of("v1", "v2")) {
            List<Object[]> rows = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                UUID sample = version.equals("v1") ? db.addSample(taxonomy, classes.get(i % 3)) : samples.get(i);
                if (version.equals("v1")) {
                    samples.add(sample);
                }
                rows.add(new Object[]{sample, classes.get(i % 3)});
            }
            db.insertMany(taxonomy, version, rows);
        }
        assertKeptMeansMatch(taxonomy, 6);

        // the registry's own insert: a new row; then, for a row stored without projections, the update that fills them
        // in and leaves the stored embedding (and so the mean) as it is
        UUID fresh = db.addSample(taxonomy, classes.get(0));
        QuarkusTransaction.requiringNew().run(() -> embeddings.insertIfAbsent(fresh, "v1", taxonomy, classes.get(0), db.randomUnit(),
                StreamVectors.NONE));
        UUID withoutProjections = samples.get(4);
        long itsClass = db.classOf(withoutProjections);
        QuarkusTransaction.requiringNew().run(() -> embeddings.insertIfAbsent(withoutProjections, "v1", taxonomy, itsClass,
                db.randomUnit(), StreamVectors.NONE));
        assertEquals(1, db.queryLong("SELECT count(*) FROM support_embedding WHERE sample_id = ? AND image_projection IS NOT NULL",
                withoutProjections), "the projections were filled in");
        assertKeptMeansMatch(taxonomy, 6);

        // an import's way: the new samples' embeddings in statements of 500 rows (two here)
        List<SupportEmbeddingRepository.NewEmbedding> imported = new ArrayList<>();
        for (int i = 0; i < 520; i++) {
            long classId = classes.get(i % 3);
            imported.add(new SupportEmbeddingRepository.NewEmbedding(db.addSample(taxonomy, classId), "v3", taxonomy, classId, db.randomUnit(),
                    StreamVectors.NONE));
        }
        QuarkusTransaction.requiringNew().run(() -> embeddings.insertAll(imported));
        assertKeptMeansMatch(taxonomy, 9);
        db.execute("DELETE FROM support_embedding WHERE taxonomy_id = ? AND model_version = 'v3'", taxonomy);
        assertKeptMeansMatch(taxonomy, 6);

        // random single writes
        for (int step = 0; step < 40; step++) {
            switch (random.nextInt(4)) {
                case 0 -> {
                    UUID s = db.addSample(taxonomy, classes.get(random.nextInt(3)));
                    db.insertMany(taxonomy, random.nextBoolean() ? "v1" : "v2", List.<Object[]>of(new Object[]{s, db.classOf(s)}));
                }
                case 1 -> db.deleteSample(samples.remove(random.nextInt(samples.size())));  // cascades to its embeddings
                case 2 -> db.execute("DELETE FROM support_embedding WHERE sample_id = ? AND model_version = 'v2'",
                        samples.get(random.nextInt(samples.size())));
                default -> db.execute("UPDATE support_embedding SET embedding = CAST(? AS vector) WHERE sample_id = ? AND model_version = 'v1'",
                        VectorText.of(db.randomUnit()), samples.get(random.nextInt(samples.size())));
            }
            assertKeptMeansMatch(taxonomy, -1);
        }

        // the registry's Classify distances against the average computed per query, as before the means were kept
        for (int q = 0; q < 5; q++) {
            float[] query = db.randomUnit();
            for (String version : List.of("v1", "v2")) {
                Map<Long, Double> kept = new HashMap<>();
                QuarkusTransaction.requiringNew().run(() -> embeddings.prototypeDistances(taxonomy, version, query)
                        .forEach(d -> kept.put(d.classId(), d.distance())));
                Map<Long, Double> recomputed = recomputedDistances(taxonomy, version, query);
                assertEquals(recomputed.keySet(), kept.keySet(), version);
                recomputed.forEach((c, d) -> assertEquals(d, kept.get(c), 1e-6, "class " + c + " of " + version));
            }
        }

        // several rows of a class in one statement, the class keeping others
        db.execute("DELETE FROM support_embedding WHERE model_version = 'v1' AND sample_id = ANY(?)",
                (Object) samples.subList(0, 3).toArray(UUID[]::new));
        assertKeptMeansMatch(taxonomy, -1);
        db.execute("DELETE FROM support_embedding WHERE taxonomy_id = ? AND model_version = 'v2'", taxonomy);  // a version pruned
        assertKeptMeansMatch(taxonomy, 3);
        db.execute("DELETE FROM emotion_class WHERE id = ?", classes.get(1));  // cascades through its supports
        assertKeptMeansMatch(taxonomy, 2);
        db.execute("DELETE FROM taxonomy WHERE id = ?", taxonomy);
        assertKeptMeansMatch(taxonomy, 0);
    }

    @Test
    void concurrentWritersOnOneClassLoseNoUpdate() throws Exception {
        long taxonomy = db.createTaxonomy("prototype-concurrent");
        long shared = db.addClass(taxonomy, "shared", 0);
        db.addClass(taxonomy, "other", 1);
        List<UUID> existing = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            existing.add(db.addSample(taxonomy, shared));
        }
        db.insertMany(taxonomy, "v1", existing.stream().map(s -> new Object[]{s, shared}).toList());
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                writers.add(pool.submit(() -> {
                    for (int i = 0; i < 20; i++) {
                        UUID s = db.addSample(taxonomy, shared);
                        db.insertMany(taxonomy, "v1", List.<Object[]>of(new Object[]{s, shared}));
                    }
                    return null;
                }));
            }
            for (int d = 0; d < 2; d++) {
                List<UUID> mine = existing.subList(d * 20, d * 20 + 20);
                writers.add(pool.submit(() -> {
                    for (UUID s : mine) {
                        db.deleteSample(s);
                    }
                    return null;
                }));
            }
            for (Future<?> f : writers) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertKeptMeansMatch(taxonomy, 1);
        assertEquals(80, keptCount(taxonomy, shared));
        db.execute("DELETE FROM taxonomy WHERE id = ?", taxonomy);
    }

    /**
     * Two transactions deleting a class's last two supports at once each see the other's still counted; between them
     * they must leave no row behind (not one at count 0, whose mean is undefined).
     */
    @Test
    void concurrentDeletesThatEmptyAClassLeaveNoRow() throws Exception {
        long taxonomy = db.createTaxonomy("prototype-emptied");
        long emptied = db.addClass(taxonomy, "emptied", 0);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 20; round++) {
                UUID first = db.addSample(taxonomy, emptied);
                UUID second = db.addSample(taxonomy, emptied);
                db.insertMany(taxonomy, "v1", List.of(new Object[]{first, emptied}, new Object[]{second, emptied}));
                java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(2);
                List<Future<?>> deletes = new ArrayList<>();
                for (UUID sample : List.of(first, second)) {
                    deletes.add(pool.submit(() -> {
                        together.await();
                        db.deleteSample(sample);
                        return null;
                    }));
                }
                for (Future<?> d : deletes) {
                    d.get();
                }
                assertKeptMeansMatch(taxonomy, 0);
            }
        } finally {
            pool.shutdownNow();
        }
        db.execute("DELETE FROM taxonomy WHERE id = ?", taxonomy);
    }

    /**
     * The migration on a database that already has embeddings: its backfill keeps the means of every row stored before
     * it. Run in a scratch schema inside one transaction that is rolled back, so nothing of it stays.
     */
    @Test
    void theMigrationKeepsTheMeansOfEmbeddingsStoredBeforeIt() throws Exception {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("CREATE SCHEMA prototype_backfill");
                s.execute("SET LOCAL search_path TO prototype_backfill, public");
                s.execute("""
                        CREATE TABLE support_embedding (sample_id UUID NOT NULL, model_version VARCHAR(128) NOT NULL,
                            taxonomy_id BIGINT NOT NULL, class_id BIGINT NOT NULL, embedding vector(128) NOT NULL,
                            image_projection REAL[], body_projection REAL[], scene_projection REAL[], PRIMARY KEY (sample_id, model_version))""");
                try (PreparedStatement p = c.prepareStatement(
                        "INSERT INTO support_embedding (sample_id, model_version, taxonomy_id, class_id, embedding) VALUES (?, ?, 7, ?, CAST(? AS vector))")) {
                    for (int i = 0; i < 90; i++) {
                        p.setObject(1, UUID.randomUUID());
                        p.setString(2, i % 2 == 0 ? "v1" : "v2");
                        p.setLong(3, i % 3);
                        p.setString(4, VectorText.of(db.randomUnit()));
                        p.executeUpdate();
                    }
                }
                s.execute(KnnBenchmark.migration("V9__class_prototype.sql"));
                assertKeptMeansMatch(c, 7, 6);
                // and the triggers it installed keep them from then on, a TRUNCATE included
                s.execute("DELETE FROM support_embedding WHERE class_id = 1 AND model_version = 'v1' AND ctid IN "
                        + "(SELECT ctid FROM support_embedding WHERE class_id = 1 AND model_version = 'v1' LIMIT 4)");
                assertKeptMeansMatch(c, 7, 6);
                s.execute("TRUNCATE support_embedding");
                assertKeptMeansMatch(c, 7, 0);
            } finally {
                c.rollback();
            }
        }
    }

    /** Every kept (version, class) of the taxonomy has the count and the mean a recomputation gives, and no other is kept. */
    private void assertKeptMeansMatch(long taxonomy, int expectedRows) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            assertKeptMeansMatch(c, taxonomy, expectedRows);
        }
    }

    /** As above, on {@code c} (its transaction and search_path). */
    private static void assertKeptMeansMatch(Connection c, long taxonomy, int expectedRows) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("""
                SELECT e.model_version, e.class_id, p.model_version, p.class_id, e.n, p.accumulated[1],
                       CAST(e.mean AS real[]), CAST(vector_avg(p.accumulated) AS real[])
                FROM (SELECT model_version, class_id, count(*) AS n, avg(embedding) AS mean FROM support_embedding
                      WHERE taxonomy_id = ? GROUP BY 1, 2) e
                FULL JOIN (SELECT * FROM class_prototype WHERE taxonomy_id = ?) p USING (model_version, class_id)""")) {
            p.setLong(1, taxonomy);
            p.setLong(2, taxonomy);
            int rows = 0;
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    rows++;
                    String where = "version " + r.getString(1) + "/" + r.getString(3) + ", class " + r.getObject(2) + "/" + r.getObject(4);
                    assertTrue(r.getString(1) != null && r.getString(3) != null, "kept and stored classes differ: " + where);
                    assertEquals(r.getLong(5), r.getDouble(6), 0.0, "support count of " + where);
                    Float[] mean = (Float[]) r.getArray(7).getArray();
                    Float[] kept = (Float[]) r.getArray(8).getArray();
                    for (int i = 0; i < DIM; i++) {
                        assertEquals(mean[i], kept[i], 1e-6, "element " + i + " of the mean of " + where);
                    }
                }
            }
            if (expectedRows >= 0) {
                assertEquals(expectedRows, rows, "(version, class) pairs with supports");
            }
        }
    }

    private long keptCount(long taxonomy, long classId) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement p = c.prepareStatement(
                "SELECT accumulated[1] FROM class_prototype WHERE taxonomy_id = ? AND class_id = ?")) {
            p.setLong(1, taxonomy);
            p.setLong(2, classId);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? (long) r.getDouble(1) : 0;
            }
        }
    }

    /** The mean-prototype distances as Classify computed them before the means were kept: an average per query. */
    private Map<Long, Double> recomputedDistances(long taxonomy, String version, float[] query) throws SQLException {
        Map<Long, Double> out = new HashMap<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement p = SupportEmbeddingRepository.prepared(c,
                KnnBenchmark.MEAN_PROTOTYPE_AVERAGED_PER_QUERY, VectorText.of(query), taxonomy, version)) {
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.put(r.getLong(1), r.getDouble(2));
                }
            }
        }
        return out;
    }
}
