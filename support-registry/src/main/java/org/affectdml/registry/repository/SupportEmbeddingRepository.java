package org.affectdml.registry.repository;

import io.agroal.api.AgroalDataSource;
import io.quarkus.hibernate.orm.panache.PanacheRepositoryBase;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.affectdml.proto.v1.Stream;
import org.affectdml.registry.model.StreamVectors;
import org.affectdml.registry.model.SupportEmbeddingEntity;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Support embeddings in the pgvector column, one per (sample, model version), and the nearest-neighbour queries
 * over them. Distances are pgvector's cosine distance ({@code <=>}). Every method runs in the caller's transaction, but
 * {@link #nearestPerClassExactChecked}, the one statement of a common Classify.
 */
@ApplicationScoped
public class SupportEmbeddingRepository implements PanacheRepositoryBase<SupportEmbeddingEntity, SupportEmbeddingEntity.Key> {

    @Inject
    AgroalDataSource dataSource;

    /** Connections that plan the common Classify statement once each, generically, index scans only (application.properties). */
    @Inject
    @io.quarkus.agroal.DataSource("search")
    AgroalDataSource searchDataSource;

    /** Distance of a class to a query, and the support that decided it (empty for a prototype). */
    public record ClassDistance(long classId, double distance, String supportId) {
    }

    /** Exact: every support of the taxonomy and version, the nearest per class. ?1 query, ?2 taxonomy id, ?3 version. */
    public static final String EXACT_NEAREST_PER_CLASS = """
            SELECT DISTINCT ON (class_id) class_id, embedding <=> CAST(?1 AS vector) AS d, sample_id
            FROM support_embedding WHERE taxonomy_id = ?2 AND model_version = ?3
            ORDER BY class_id, d""";

    /**
     * As {@link #EXACT_NEAREST_PER_CLASS}, in two passes and without sorting every row: each class's minimum distance by
     * hash aggregation, then the support at that distance (the lowest id among equals). Sorting every row by (class,
     * distance) costs a tuple comparison per step, nearly all tied on the class, and a sort memory PostgreSQL gives back
     * and faults in again on every call; from ~2 000 supports on, computing the distances twice is cheaper
     * (affect.registry.exact-search-two-pass-min-supports). A distance recomputed is bit for bit the one aggregated.
     */
    public static final String EXACT_NEAREST_PER_CLASS_TWO_PASS = """
            WITH nearest AS (
                SELECT class_id, min(embedding <=> CAST(?1 AS vector)) AS d FROM support_embedding
                WHERE taxonomy_id = ?2 AND model_version = ?3 GROUP BY class_id)
            SELECT DISTINCT ON (e.class_id) e.class_id, n.d, e.sample_id
            FROM support_embedding e JOIN nearest n ON n.class_id = e.class_id AND (e.embedding <=> CAST(?1 AS vector)) = n.d
            WHERE e.taxonomy_id = ?2 AND e.model_version = ?3
            ORDER BY e.class_id, e.sample_id""";

    /** Whether a taxonomy of this many supports is searched exactly in two passes (affect.registry.exact-search-two-pass-min-supports). */
    public static boolean inTwoPasses(long supports, int twoPassMinSupports) {
        return supports >= twoPassMinSupports;
    }

    /** The exact statement for a taxonomy searched in two passes or not ({@link #EXACT_NEAREST_PER_CLASS_TWO_PASS}). */
    public static String exactNearestPerClass(boolean twoPass) {
        return twoPass ? EXACT_NEAREST_PER_CLASS_TWO_PASS : EXACT_NEAREST_PER_CLASS;
    }

    /** HNSW candidates, nearest per class among them. ?4 = candidate count; run after {@link #hnswSettings}. */
    public static final String APPROXIMATE_NEAREST_PER_CLASS = """
            SELECT DISTINCT ON (class_id) class_id, d, sample_id FROM (
                SELECT class_id, embedding <=> CAST(?1 AS vector) AS d, sample_id FROM support_embedding
                WHERE taxonomy_id = ?2 AND model_version = ?3 ORDER BY embedding <=> CAST(?1 AS vector) LIMIT ?4) c
            ORDER BY class_id, d""";

    /** The exact nearest per class among the classes the HNSW candidates missed. ?4 = the class ids found. */
    public static final String EXACT_NEAREST_OF_OTHER_CLASSES = """
            SELECT DISTINCT ON (class_id) class_id, embedding <=> CAST(?1 AS vector) AS d, sample_id
            FROM support_embedding WHERE taxonomy_id = ?2 AND model_version = ?3 AND NOT (class_id = ANY(CAST(?4 AS bigint[])))
            ORDER BY class_id, d""";

    /** As {@link #EXACT_NEAREST_PER_CLASS}, leaving one sample out (?4): the neighbours of a stored support. */
    private static final String EXACT_NEAREST_PER_CLASS_EXCEPT = """
            SELECT DISTINCT ON (class_id) class_id, embedding <=> CAST(?1 AS vector) AS d, sample_id
            FROM support_embedding WHERE taxonomy_id = ?2 AND model_version = ?3 AND sample_id <> ?4
            ORDER BY class_id, d""";

    /** The k nearest supports of every class (exact), for explanations. ?4 = k. */
    private static final String EXACT_K_NEAREST_PER_CLASS = """
            SELECT class_id, d, sample_id FROM (
                SELECT class_id, embedding <=> CAST(?1 AS vector) AS d, sample_id,
                       row_number() OVER (PARTITION BY class_id ORDER BY embedding <=> CAST(?1 AS vector)) AS rank
                FROM support_embedding WHERE taxonomy_id = ?2 AND model_version = ?3) ranked
            WHERE rank <= ?4 ORDER BY class_id, d""";

    /** The {@code k} nearest supports of each class to {@code query}, nearest first. */
    public Map<Long, List<ClassDistance>> kNearestPerClass(long taxonomyId, String version, float[] query, int k) {
        Map<Long, List<ClassDistance>> out = new HashMap<>();
        for (ClassDistance d : distances(getEntityManager().createNativeQuery(EXACT_K_NEAREST_PER_CLASS)
                .setParameter(1, VectorText.of(query)).setParameter(2, taxonomyId).setParameter(3, version).setParameter(4, k)
                .getResultList())) {
            out.computeIfAbsent(d.classId(), c -> new ArrayList<>()).add(d);
        }
        return out;
    }

    /** The stored embedding of a sample in a version, if any. */
    public java.util.Optional<float[]> embeddingOf(UUID sampleId, String modelVersion) {
        SupportEmbeddingEntity e = findById(new SupportEmbeddingEntity.Key(sampleId, modelVersion));
        return java.util.Optional.ofNullable(e).map(x -> x.embedding);
    }

    /** Exact nearest support per class to {@code values}, leaving {@code except} out. */
    public List<ClassDistance> nearestPerClassExcept(long taxonomyId, String modelVersion, float[] values, UUID except) {
        return distances(getEntityManager().createNativeQuery(EXACT_NEAREST_PER_CLASS_EXCEPT)
                .setParameter(1, VectorText.of(values)).setParameter(2, taxonomyId).setParameter(3, modelVersion)
                .setParameter(4, except).getResultList());
    }

    /** Settings for the approximate search, for the rest of the transaction, in one statement (one round trip). */
    public static String hnswSettings(int efSearch) {
        return "SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true) AS scan, set_config('hnsw.ef_search', '" + efSearch
                + "', true) AS ef_search";
    }

    /** How many HNSW candidates to take before reducing them to the nearest per class. */
    public static int candidateCount(int efSearch) {
        return Math.max(100, efSearch);
    }

    /**
     * Stores a sample's embedding of a version with its stream projections. When the row exists without projections
     * (stored before they were kept), only those are filled in: the stored embedding stays as it is.
     */
    public void insertIfAbsent(UUID sampleId, String modelVersion, long taxonomyId, long classId, float[] embedding,
                               StreamVectors streams) {
        getEntityManager().createNativeQuery("""
                        INSERT INTO support_embedding (sample_id, model_version, taxonomy_id, class_id, embedding,
                                                       image_projection, body_projection, scene_projection)
                        VALUES (?1, ?2, ?3, ?4, CAST(?5 AS vector), CAST(?6 AS real[]), CAST(?7 AS real[]), CAST(?8 AS real[]))
                        ON CONFLICT (sample_id, model_version) DO UPDATE
                        SET image_projection = EXCLUDED.image_projection, body_projection = EXCLUDED.body_projection,
                            scene_projection = EXCLUDED.scene_projection
                        WHERE support_embedding.image_projection IS NULL""")
                .setParameter(1, sampleId).setParameter(2, modelVersion).setParameter(3, taxonomyId)
                .setParameter(4, classId).setParameter(5, VectorText.of(embedding))
                .setParameter(6, arrayText(streams.of(Stream.STREAM_IMAGE)))
                .setParameter(7, arrayText(streams.of(Stream.STREAM_BODY)))
                .setParameter(8, arrayText(streams.of(Stream.STREAM_SCENE))).executeUpdate();
    }

    /** A new sample's embedding of a version, with its stream projections. */
    public record NewEmbedding(UUID sampleId, String modelVersion, long taxonomyId, long classId, float[] embedding,
                               StreamVectors streams) {
    }

    /** How many embeddings {@link #insertAll} writes per statement. */
    static final int INSERT_CHUNK = 500;

    /**
     * Stores the embeddings of new samples (an import), a statement per {@value #INSERT_CHUNK}: the class means kept on write
     * (class_prototype) then change once per class and statement. A statement per row would add a version of a class's
     * row per support, and in one transaction each such update walks the versions before it.
     */
    public void insertAll(List<NewEmbedding> rows) {
        for (int from = 0; from < rows.size(); from += INSERT_CHUNK) {
            List<NewEmbedding> chunk = rows.subList(from, Math.min(rows.size(), from + INSERT_CHUNK));
            getEntityManager().createNativeQuery("""
                            INSERT INTO support_embedding (sample_id, model_version, taxonomy_id, class_id, embedding,
                                                           image_projection, body_projection, scene_projection)
                            SELECT CAST(r.sample AS uuid), r.version, r.taxonomy, r.class, CAST(r.embedding AS vector),
                                   CAST(r.image AS real[]), CAST(r.body AS real[]), CAST(r.scene AS real[])
                            FROM unnest(CAST(?1 AS text[]), CAST(?2 AS text[]), CAST(?3 AS bigint[]), CAST(?4 AS bigint[]),
                                        CAST(?5 AS text[]), CAST(?6 AS text[]), CAST(?7 AS text[]), CAST(?8 AS text[]))
                                 AS r(sample, version, taxonomy, class, embedding, image, body, scene)""")
                    .setParameter(1, chunk.stream().map(r -> r.sampleId().toString()).toArray(String[]::new))
                    .setParameter(2, chunk.stream().map(NewEmbedding::modelVersion).toArray(String[]::new))
                    .setParameter(3, chunk.stream().map(NewEmbedding::taxonomyId).toArray(Long[]::new))
                    .setParameter(4, chunk.stream().map(NewEmbedding::classId).toArray(Long[]::new))
                    .setParameter(5, chunk.stream().map(r -> VectorText.of(r.embedding())).toArray(String[]::new))
                    .setParameter(6, chunk.stream().map(r -> arrayText(r.streams().of(Stream.STREAM_IMAGE))).toArray(String[]::new))
                    .setParameter(7, chunk.stream().map(r -> arrayText(r.streams().of(Stream.STREAM_BODY))).toArray(String[]::new))
                    .setParameter(8, chunk.stream().map(r -> arrayText(r.streams().of(Stream.STREAM_SCENE))).toArray(String[]::new))
                    .executeUpdate();
        }
    }

    /**
     * The stored stream projections of samples (ids as {@link ClassDistance#supportId} gives them) in a version; samples
     * without them (or without a row) are absent.
     */
    public Map<String, StreamVectors> streamsOf(String modelVersion, List<String> sampleIds) {
        Map<String, StreamVectors> out = new HashMap<>();
        if (sampleIds.isEmpty()) {
            return out;
        }
        for (Object[] r : TaxonomyRepository.rows(getEntityManager().createNativeQuery("""
                        SELECT sample_id, CAST(image_projection AS text), CAST(body_projection AS text), CAST(scene_projection AS text)
                        FROM support_embedding WHERE model_version = ?1 AND sample_id = ANY(CAST(?2 AS uuid[]))
                        AND image_projection IS NOT NULL""")
                .setParameter(1, modelVersion).setParameter(2, sampleIds.toArray(String[]::new))
                .getResultList())) {
            Map<Stream, float[]> streams = new java.util.EnumMap<>(Stream.class);
            for (int i = 0; i < StreamVectors.STREAMS.size(); i++) {
                float[] v = parseArray((String) r[i + 1]);
                if (v.length > 0) {
                    streams.put(StreamVectors.STREAMS.get(i), v);
                }
            }
            out.put(r[0].toString(), new StreamVectors(streams));
        }
        return out;
    }

    /** PostgreSQL array text of floats ('{1.0,2.5}'); written with Float.toString, which reads back exactly. */
    static String arrayText(float[] v) {
        StringBuilder b = new StringBuilder(v.length * 12 + 2).append('{');
        for (int i = 0; i < v.length; i++) {
            if (i > 0) {
                b.append(',');
            }
            b.append(v[i]);
        }
        return b.append('}').toString();
    }

    static float[] parseArray(String text) {
        String inner = text.substring(1, text.length() - 1).trim();
        if (inner.isEmpty()) {
            return new float[0];
        }
        String[] parts = inner.split(",");
        float[] v = new float[parts.length];
        for (int i = 0; i < parts.length; i++) {
            v[i] = Float.parseFloat(parts[i]);
        }
        return v;
    }

    @SuppressWarnings("unchecked")
    public List<String> versionsOf(UUID sampleId) {
        return getEntityManager().createNativeQuery("SELECT model_version FROM support_embedding WHERE sample_id = ?1 ORDER BY model_version")
                .setParameter(1, sampleId).getResultList();
    }

    public long countOf(long taxonomyId, String modelVersion) {
        return count("taxonomyId = ?1 and key.modelVersion = ?2", taxonomyId, modelVersion);
    }

    public long countOfVersion(String modelVersion) {
        return count("key.modelVersion", modelVersion);
    }

    public void deleteOfSample(UUID sampleId) {
        delete("key.sampleId", sampleId);
    }

    /** Deletes the embeddings of every version but the two given; returns how many. */
    public int deleteAllBut(String active, String previous) {
        return (int) delete("key.modelVersion <> ?1 and key.modelVersion <> ?2", active, previous.isEmpty() ? active : previous);
    }

    /** The nearest support per class, searching every support of the taxonomy and version (in two passes or not). */
    public List<ClassDistance> nearestPerClassExact(long taxonomyId, String version, float[] query, boolean twoPass) {
        return distances(getEntityManager().createNativeQuery(exactNearestPerClass(twoPass))
                .setParameter(1, VectorText.of(query)).setParameter(2, taxonomyId).setParameter(3, version).getResultList());
    }

    /**
     * {@link #EXACT_NEAREST_PER_CLASS} with, from the same statement (so the same snapshot), the taxonomy's revision and
     * how many embeddings it has in each of the versions ?4: enough for a caller to tell whether what it kept of the
     * taxonomy, and a version pick it made from it, still hold.
     */
    private static final String CHECKED = """
            SELECT n.class_id, n.d, n.sample_id, (SELECT t.revision FROM taxonomy t WHERE t.id = ?2),
                   (SELECT array_agg((SELECT count(*) FROM support_embedding e WHERE e.taxonomy_id = ?2 AND e.model_version = v.name)
                                     ORDER BY v.i)
                      FROM unnest(CAST(?4 AS text[])) WITH ORDINALITY v(name, i))
            FROM (%s) n""";
    private static final String EXACT_NEAREST_PER_CLASS_CHECKED = CHECKED.formatted(EXACT_NEAREST_PER_CLASS);
    private static final String EXACT_NEAREST_PER_CLASS_CHECKED_TWO_PASS = CHECKED.formatted(EXACT_NEAREST_PER_CLASS_TWO_PASS);

    /** The statement of {@link #nearestPerClassExactChecked} (JPA-style parameters: query, taxonomy id, version, counted versions). */
    public static String exactNearestPerClassChecked(boolean twoPass) {
        return twoPass ? EXACT_NEAREST_PER_CLASS_CHECKED_TWO_PASS : EXACT_NEAREST_PER_CLASS_CHECKED;
    }

    /** What {@link #nearestPerClassExactChecked} found: the distances, the revision, and the embeddings per counted version. */
    public record Checked(long revision, List<ClassDistance> distances, List<Long> embeddedPerVersion) {
    }

    /**
     * The common Classify search in one round trip: one statement, outside any transaction (one statement is one
     * snapshot), through a pool's plain JDBC connection rather than the ORM, prepared on the server. Below the two-pass
     * size it runs on the search datasource, where its plan is made once per connection (generic, and with sequential
     * scans off, so it reads only the taxonomy's rows through the (taxonomy, version) index); the two-pass statement
     * runs on the main datasource, planned for each call's taxonomy. No rows (the version's supports are gone, or the
     * taxonomy is): revision -1 and no counts.
     */
    public Checked nearestPerClassExactChecked(long taxonomyId, String version, float[] query, List<String> countedVersions,
                                               boolean twoPass) throws SQLException {
        try (Connection connection = (twoPass ? dataSource : searchDataSource).getConnection()) {
            return nearestPerClassExactChecked(connection, taxonomyId, version, query, countedVersions, twoPass);
        }
    }

    /** {@link #nearestPerClassExactChecked(long, String, float[], List, boolean)} on a connection of the caller's. */
    public static Checked nearestPerClassExactChecked(Connection connection, long taxonomyId, String version, float[] query,
                                                      List<String> countedVersions, boolean twoPass) throws SQLException {
        try (PreparedStatement statement = prepared(connection, exactNearestPerClassChecked(twoPass),
                VectorText.of(query), taxonomyId, version, countedVersions.toArray(String[]::new))) {
            // prepared on the server from the first call on each connection (no parsing per call): the search pool does so
            // for every statement, the main pool for this one only; its plan_cache_mode plans it for each call's taxonomy
            statement.unwrap(org.postgresql.PGStatement.class).setPrepareThreshold(1);
            List<ClassDistance> out = new ArrayList<>();
            long revision = -1;
            List<Long> counts = List.of();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    out.add(new ClassDistance(rows.getLong(1), rows.getDouble(2), rows.getString(3)));
                    revision = rows.getObject(4) == null ? -1 : rows.getLong(4);
                    Array embedded = rows.getArray(5);
                    counts = embedded == null ? List.of() : List.of((Long[]) embedded.getArray());
                }
            }
            return new Checked(revision, out, counts);
        }
    }

    /**
     * The nearest support per class through the HNSW index: candidates (iterative scan keeps the taxonomy/version
     * filter from starving the result), the nearest per class among them, then, only if the candidates missed some of
     * the taxonomy's {@code classes}, the exact distance for those (a scan of the taxonomy's rows, so skipped when not needed).
     */
    public List<ClassDistance> nearestPerClassApproximate(long taxonomyId, String version, float[] query, int efSearch, int classes) {
        DistanceQueries inThisTransaction = new DistanceQueries() {
            @Override
            public void run(String sql) {
                getEntityManager().createNativeQuery(sql).getSingleResult();
            }

            @Override
            public List<ClassDistance> distances(String jpaSql, Object... parameters) {
                var q = getEntityManager().createNativeQuery(jpaSql);
                for (int i = 0; i < parameters.length; i++) {
                    q.setParameter(i + 1, parameters[i]);
                }
                return SupportEmbeddingRepository.distances(q.getResultList());
            }
        };
        return approximate(inThisTransaction, taxonomyId, version, query, efSearch, classes).distances();
    }

    /** What runs the search statements, in one transaction: the registry's ORM session, or the KNN benchmark's connection. */
    public interface DistanceQueries {

        /** Runs a statement whose answer is not needed (a setting). */
        void run(String sql);

        /** Runs a statement with JPA-style parameters (?1 is {@code parameters[0]}) answering (class id, distance, sample id) rows. */
        List<ClassDistance> distances(String jpaSql, Object... parameters);
    }

    /** What the approximate search found, and whether it had to fill in classes the HNSW candidates missed. */
    public record Approximate(List<ClassDistance> distances, boolean filledIn) {
    }

    /** The steps of {@link #nearestPerClassApproximate}, once, for the registry and the KNN benchmark alike. */
    public static Approximate approximate(DistanceQueries sql, long taxonomyId, String version, float[] query, int efSearch, int classes) {
        sql.run(hnswSettings(efSearch));
        String vector = VectorText.of(query);
        List<ClassDistance> found = sql.distances(APPROXIMATE_NEAREST_PER_CLASS, vector, taxonomyId, version, candidateCount(efSearch));
        if (found.size() >= classes) {
            return new Approximate(found, false);
        }
        List<ClassDistance> all = new ArrayList<>(found);
        all.addAll(sql.distances(EXACT_NEAREST_OF_OTHER_CLASSES, vector, taxonomyId, version,
                found.stream().map(ClassDistance::classId).toArray(Long[]::new)));
        return new Approximate(all, true);
    }

    /**
     * Distance of each class's mean prototype (the L2-normalised mean of its supports) to the query, ?1. The means are
     * kept on write in class_prototype (V9 migration: pgvector's avg accumulation per class, maintained by triggers on
     * support_embedding), so this reads one row per class whatever the number of supports. ?2 taxonomy id, ?3 version.
     */
    public static final String MEAN_PROTOTYPE_DISTANCES = """
            SELECT class_id, l2_normalize(vector_avg(accumulated)) <=> CAST(?1 AS vector) AS d
            FROM class_prototype WHERE taxonomy_id = ?2 AND model_version = ?3 AND accumulated[1] > 0""";

    /** Distance of each class's mean prototype to {@code query} ({@link #MEAN_PROTOTYPE_DISTANCES}). */
    public List<ClassDistance> prototypeDistances(long taxonomyId, String version, float[] query) {
        List<ClassDistance> out = new ArrayList<>();
        for (Object[] r : TaxonomyRepository.rows(getEntityManager().createNativeQuery(MEAN_PROTOTYPE_DISTANCES)
                .setParameter(1, VectorText.of(query)).setParameter(2, taxonomyId).setParameter(3, version).getResultList())) {
            out.add(new ClassDistance(((Number) r[0]).longValue(), ((Number) r[1]).doubleValue(), ""));
        }
        return out;
    }

    /**
     * A JDBC statement from SQL with JPA-style parameters (?1 is {@code parameters[0]}, and may occur more than once); a
     * String[] or Long[] parameter is bound as a text[] or bigint[] array.
     */
    public static PreparedStatement prepared(Connection c, String jpaSql, Object... parameters) throws SQLException {
        PreparedStatement p = c.prepareStatement(JPA_PARAMETER.matcher(jpaSql).replaceAll("?"));
        try {
            List<Object> positional = positional(jpaSql, parameters);
            for (int i = 1; i <= positional.size(); i++) {
                Object value = positional.get(i - 1);
                if (value instanceof String[] texts) {
                    p.setArray(i, c.createArrayOf("text", texts));
                } else if (value instanceof Long[] ids) {
                    p.setArray(i, c.createArrayOf("bigint", ids));
                } else {
                    p.setObject(i, value);
                }
            }
            return p;
        } catch (SQLException | RuntimeException e) {
            p.close();
            throw e;
        }
    }

    /**
     * The values of {@code jpaSql}'s parameters in the order they occur (?2 twice is two values): JDBC's ?1, ?2, ...
     * Public for the tests that EXECUTE a statement prepared from such SQL.
     */
    public static List<Object> positional(String jpaSql, Object... parameters) {
        List<Object> out = new ArrayList<>();
        java.util.regex.Matcher m = JPA_PARAMETER.matcher(jpaSql);
        while (m.find()) {
            out.add(parameters[Integer.parseInt(m.group(1)) - 1]);
        }
        return out;
    }

    private static final java.util.regex.Pattern JPA_PARAMETER = java.util.regex.Pattern.compile("\\?(\\d+)");

    private static List<ClassDistance> distances(List<?> result) {
        List<ClassDistance> out = new ArrayList<>();
        for (Object[] r : TaxonomyRepository.rows(result)) {
            out.add(new ClassDistance(((Number) r[0]).longValue(), ((Number) r[1]).doubleValue(), r[2].toString()));
        }
        return out;
    }
}
