package org.affectdml.registry;

import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.affectdml.registry.repository.SupportEmbeddingRepository;
import org.affectdml.registry.repository.SupportEmbeddingRepository.ClassDistance;
import org.affectdml.registry.repository.VectorText;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The one statement of a common Classify is prepared on the server (no parsing per call) and still planned for each
 * call's own taxonomy: a generic plan would ignore which taxonomy is asked for and may scan every taxonomy's vectors.
 * The rows are written straight to the tables with a made-up version, so the re-embedding worker sleeps (it would prune them).
 */
@QuarkusTest
@io.quarkus.test.junit.TestProfile(ClassPrototypeTest.WorkerAsleep.class)
@io.quarkus.test.common.QuarkusTestResource(EmbeddingServiceProcess.class)
class ClassifyStatementTest {

    @Inject
    AgroalDataSource dataSource;

    @Test
    void theClassifyStatementIsPreparedOnTheServerAndPlannedForEachCallsTaxonomy() throws Exception {
        SupportRows db = new SupportRows(dataSource, new Random(20261208));
        long small = taxonomy(db, "statement-small", 2);
        long large = taxonomy(db, "statement-large", 30);
        try (Connection c = dataSource.getConnection()) {
            assertEquals("force_custom_plan", setting(c, "plan_cache_mode"), "the datasource's options keep plans specific");
            for (int call = 0; call < 10; call++) {
                long taxonomy = call % 2 == 0 ? small : large;
                float[] query = db.randomUnit();
                SupportEmbeddingRepository.Checked found = SupportEmbeddingRepository.nearestPerClassExactChecked(c, taxonomy, "v1", query,
                        List.of("v1"));
                assertEquals(unprepared(c, taxonomy, query), found.distances(), "call " + call);
                assertEquals(List.of(taxonomy == small ? 4L : 60L), found.embeddedPerVersion());
            }
            try (PreparedStatement p = c.prepareStatement("""
                    SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE NOT from_sql AND statement LIKE '%array_agg%'""");
                 ResultSet r = p.executeQuery()) {
                assertTrue(r.next(), "the statement was not prepared on the server");
                assertEquals(0, r.getLong(1), "a generic plan was used");
                assertTrue(r.getLong(2) >= 10, "planned for each call: " + r.getLong(2));
                assertTrue(!r.next(), "prepared once per connection, not once per call");
            }
        }
    }

    /** A taxonomy of two classes with {@code perClass} supports each, embedded in version v1. */
    private static long taxonomy(SupportRows db, String name, int perClass) throws SQLException {
        long taxonomy = db.createTaxonomy(name);
        List<Object[]> rows = new ArrayList<>();
        for (int position = 0; position < 2; position++) {
            long classId = db.addClass(taxonomy, "c" + position, position);
            for (int i = 0; i < perClass; i++) {
                UUID sample = db.addSample(taxonomy, classId);
                rows.add(new Object[]{sample, classId});
            }
        }
        db.insertMany(taxonomy, "v1", rows);
        return taxonomy;
    }

    /** The same search as a plain (unnamed, planned once) statement. */
    private static List<ClassDistance> unprepared(Connection c, long taxonomy, float[] query) throws SQLException {
        List<ClassDistance> out = new ArrayList<>();
        try (PreparedStatement p = SupportEmbeddingRepository.prepared(c, SupportEmbeddingRepository.EXACT_NEAREST_PER_CLASS,
                VectorText.of(query), taxonomy, "v1"); ResultSet r = p.executeQuery()) {
            while (r.next()) {
                out.add(new ClassDistance(r.getLong(1), r.getDouble(2), r.getString(3)));
            }
        }
        return out;
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
