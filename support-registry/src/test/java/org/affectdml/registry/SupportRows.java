package org.affectdml.registry;

import io.agroal.api.AgroalDataSource;
import org.affectdml.registry.repository.VectorText;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Random;
import java.util.UUID;

/**
 * Taxonomies, classes, samples and 128-d embeddings written straight to the registry's tables (no embedding-service), for
 * tests of what the database keeps and searches; the vectors come from the caller's seeded generator.
 */
final class SupportRows {

    static final int DIM = 128;

    private final AgroalDataSource dataSource;
    private final Random random;

    SupportRows(AgroalDataSource dataSource, Random random) {
        this.dataSource = dataSource;
        this.random = random;
    }

    /**
     * One INSERT statement for all {@code rows} (sample, class[, embedding]; a random unit vector when none is given): the
     * triggers see them as one transition table.
     */
    void insertMany(long taxonomy, String version, List<Object[]> rows) throws SQLException {
        StringBuilder sql = new StringBuilder("INSERT INTO support_embedding (sample_id, model_version, taxonomy_id, class_id, embedding) VALUES ");
        for (int i = 0; i < rows.size(); i++) {
            sql.append(i == 0 ? "" : ", ").append("(?, ?, ?, ?, CAST(? AS vector))");
        }
        try (Connection c = dataSource.getConnection(); PreparedStatement p = c.prepareStatement(sql.toString())) {
            int n = 1;
            for (Object[] row : rows) {
                p.setObject(n++, row[0]);
                p.setString(n++, version);
                p.setLong(n++, taxonomy);
                p.setLong(n++, (Long) row[1]);
                p.setString(n++, VectorText.of(row.length > 2 ? (float[]) row[2] : randomUnit()));
            }
            p.executeUpdate();
        }
    }

    long createTaxonomy(String name) throws SQLException {
        execute("DELETE FROM taxonomy WHERE name = ?", name);
        return queryLong("INSERT INTO taxonomy (name, kind) VALUES (?, 'CATEGORICAL') RETURNING id", name);
    }

    long addClass(long taxonomy, String name, int position) throws SQLException {
        return queryLong("INSERT INTO emotion_class (taxonomy_id, name, position) VALUES (?, ?, ?) RETURNING id", taxonomy, name, position);
    }

    UUID addSample(long taxonomy, long classId) throws SQLException {
        UUID id = UUID.randomUUID();
        execute("""
                INSERT INTO support_sample (id, taxonomy_id, class_id, image, media_type, image_sha256, box_x1, box_y1, box_x2, box_y2)
                VALUES (?, ?, ?, '\\x00', 'image/jpeg', ?, 0, 0, 1, 1)""", id, taxonomy, classId, id.toString().replace("-", "") + "0".repeat(32));
        return id;
    }

    long classOf(UUID sample) throws SQLException {
        return queryLong("SELECT class_id FROM support_sample WHERE id = ?", sample);
    }

    void deleteSample(UUID sample) throws SQLException {
        execute("DELETE FROM support_sample WHERE id = ?", sample);
    }

    long queryLong(String sql, Object... args) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement p = prepared(c, sql, args); ResultSet r = p.executeQuery()) {
            r.next();
            return r.getLong(1);
        }
    }

    void execute(String sql, Object... args) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement p = prepared(c, sql, args)) {
            p.executeUpdate();
        }
    }

    private static PreparedStatement prepared(Connection c, String sql, Object... args) throws SQLException {
        PreparedStatement p = c.prepareStatement(sql);
        for (int i = 0; i < args.length; i++) {
            p.setObject(i + 1, args[i] instanceof UUID[] ids ? c.createArrayOf("uuid", ids) : args[i]);
        }
        return p;
    }

    float[] randomUnit() {
        float[] v = new float[DIM];
        double n = 0;
        for (int i = 0; i < DIM; i++) {
            v[i] = (float) random.nextGaussian();
            n += v[i] * v[i];
        }
        for (int i = 0; i < DIM; i++) {
            v[i] /= (float) Math.sqrt(n);
        }
        return v;
    }
}
