package org.affectdml.registry.bench;

import org.affectdml.registry.repository.SupportEmbeddingRepository;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * KNN benchmark of Classify's support search (docs/benchmarks.md): the exact SQL Classify runs (SupportEmbeddingRepository), on
 * synthetic clustered 128-d unit vectors in a scratch schema "knn_bench" of the registry database.
 * Reports p50/p90 latency and recall@1 (top class of the path Classify takes vs exact search) for
 * 1e4 and 1e5 supports in one taxonomy and 1e5 spread over 1000 taxonomies (the 1e4 taxonomy with both exact statements:
 * every row sorted, and the two passes the registry takes from affect.registry.exact-search-two-pass-min-supports on),
 * and, for the 1e5 taxonomy, the mean-prototype
 * rule both ways: the class means kept on write (the registry's migration V9, triggers included, installed in the
 * scratch schema, so loading pays what writes pay) and the average computed per query as before.
 *
 * Run: deploy/local/bench-knn.sh  (args: [supports-small supports-large taxonomies queries [exact-search-max [two-pass-min]]]);
 * {@code KnnBenchmarkSmokeTest} runs it small in the suite.
 */
public final class KnnBenchmark {

    private static final int DIM = 128;
    private static final String VERSION = "bench";
    private static final int EF_SEARCH = 100;    // affect.registry.hnsw-ef-search default

    /**
     * One row of the table: a scenario, the path Classify takes for it, latency, and recall@1: how often its top class
     * is the class of the nearest support found by brute force in Java (independent of the SQL; no answer never agrees).
     */
    public record Result(String scenario, int supportsPerTaxonomy, Path path, double p50Ms, double p90Ms, double recallAt1,
                         double bareScanP50Ms, int exactFillIns, String plan) {

        public boolean exactPath() {
            return path == Path.EXACT || path == Path.EXACT_TWO_PASS;
        }
    }

    /** How a scenario's query is answered: Classify's two nearest-support paths, and the mean-prototype rule two ways. */
    public enum Path {
        EXACT("exact, every row sorted"), EXACT_TWO_PASS("exact, two passes"), APPROXIMATE("HNSW + iterative scan"), MEAN_KEPT("mean prototype, kept on write"),
        MEAN_AVERAGED("mean prototype, averaged per query (before V9)");

        final String label;

        Path(String label) {
            this.label = label;
        }
    }

    public static void main(String[] args) throws Exception {
        int small = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int large = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
        int spread = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
        int queries = args.length > 3 ? Integer.parseInt(args[3]) : 200;
        int exactMax = args.length > 4 ? Integer.parseInt(args[4]) : 20_000;  // affect.registry.exact-search-max-supports default
        int twoPassMin = args.length > 5 ? Integer.parseInt(args[5]) : 2_000;  // affect.registry.exact-search-two-pass-min-supports default
        run(System.getProperty("db.url", "jdbc:postgresql://127.0.0.1:5432/affect"), small, large, spread, queries, exactMax, twoPassMin);
    }

    /** Runs the three scenarios in the scratch schema knn_bench (dropped again at the end) and prints the table. */
    public static List<Result> run(String url, int small, int large, int spread, int queries, int exactMax, int twoPassMin) throws Exception {
        List<Result> results = new ArrayList<>();
        java.util.Properties props = new java.util.Properties();
        props.setProperty("user", System.getProperty("db.user", "affect"));
        props.setProperty("password", System.getProperty("db.password", "affect"));
        props.setProperty("prepareThreshold", "0");  // as the registry's datasource: a plan per parameter set
        try (Connection c = DriverManager.getConnection(url, props)) {
            c.setAutoCommit(true);
            try (Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA IF EXISTS knn_bench CASCADE");
                s.execute("CREATE SCHEMA knn_bench");
                // The production queries name support_embedding unqualified: this session resolves it to the scratch table.
                s.execute("SET search_path TO knn_bench, public");
                createSupportEmbedding(s, "knn_bench");
                // the registry's own migration, so the class means are kept as in production (search_path: knn_bench first)
                s.execute(migration("V9__class_prototype.sql"));
            }
            requireScratchTable(c);
            Random random = new Random(7);
            System.out.printf("KNN benchmark: %d-d unit vectors, %d queries per scenario, ef_search %d, exact search up to %d supports"
                    + " (in two passes from %d)%n", DIM, queries, EF_SEARCH, exactMax, twoPassMin);
            System.out.println("| scenario | supports in the taxonomy | path | p50 ms | p90 ms | recall@1 | bare scan p50 ms | exact fill-ins |");
            System.out.println("|---|---|---|---|---|---|---|---|");
            List<float[]> q1 = load(c, random, 1, small, 1, 26);
            List<float[]> q2 = load(c, random, 2, large, 1, 26);
            List<float[]> q3 = load(c, random, 1000, large, spread, 10);
            long t0 = System.nanoTime();
            try (Statement s = c.createStatement()) {
                s.execute("SET maintenance_work_mem = '512MB'");
                s.execute("CREATE INDEX ON knn_bench.support_embedding USING hnsw (embedding vector_cosine_ops)");
                s.execute("ANALYZE knn_bench.support_embedding");
            }
            System.err.printf("HNSW index over %d vectors built in %.1f s%n", small + 2L * large, (System.nanoTime() - t0) / 1e9);
            requireScratchTable(c);
            results.add(scenario(c, "1e4 in one taxonomy", List.of(1L), small, q1, 26, queries, Path.EXACT, random));
            results.add(scenario(c, "1e4 in one taxonomy", List.of(1L), small, q1, 26, queries, Path.EXACT_TWO_PASS, random));
            results.add(scenario(c, "1e5 in one taxonomy", List.of(2L), large, q2, 26, queries, registryPath(large, exactMax, twoPassMin), random));
            results.add(scenario(c, "1e5 in one taxonomy", List.of(2L), large, q2, 26, queries, Path.MEAN_KEPT, random));
            results.add(scenario(c, "1e5 in one taxonomy", List.of(2L), large, q2, 26, queries, Path.MEAN_AVERAGED, random));
            List<Long> spreadIds = new ArrayList<>();
            for (long t = 1000; t < 1000 + spread; t++) {
                spreadIds.add(t);
            }
            results.add(scenario(c, "1e5 over " + spread + " taxonomies", spreadIds, large / spread, q3, 10, queries,
                    registryPath(large / spread, exactMax, twoPassMin), random));
            for (Result r : results) {
                System.out.printf("%nPlan of the last query of \"%s\", %s (EXPLAIN ANALYZE of the path's search statement):%n%s%n",
                        r.scenario(), r.path().label, r.plan());
            }
            try (Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA knn_bench CASCADE");
            }
        } finally {
            VECTORS.clear();
            CLASSES.clear();
            SUMS.clear();
        }
        return results;
    }

    /** The unqualified names the production SQL uses must be the scratch tables, never the registry's own. */
    private static void requireScratchTable(Connection c) throws Exception {
        for (String table : List.of("support_embedding", "class_prototype")) {
            try (PreparedStatement p = c.prepareStatement(
                    "SELECT n.nspname FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace WHERE t.oid = to_regclass(?)")) {
                p.setString(1, table);
                try (ResultSet rs = p.executeQuery()) {
                    String schema = rs.next() ? rs.getString(1) : null;
                    if (!"knn_bench".equals(schema)) {
                        throw new IllegalStateException(table + " resolves to schema " + schema + ", not the benchmark's scratch schema knn_bench");
                    }
                }
            }
        }
    }

    /** Every support loaded, by taxonomy: the ground truth of recall@1. */
    private static final java.util.Map<Long, List<float[]>> VECTORS = new java.util.HashMap<>();
    private static final java.util.Map<Long, List<Long>> CLASSES = new java.util.HashMap<>();
    /** Per taxonomy, the sum of each class's supports: the ground truth of the mean-prototype rule. */
    private static final java.util.Map<Long, java.util.Map<Long, double[]>> SUMS = new java.util.HashMap<>();

    /** The class of the support nearest to {@code q} (cosine distance, as the index) by brute force; -2 if none. */
    private static long bruteForceNearest(float[] q, long taxonomy) {
        List<float[]> vectors = VECTORS.getOrDefault(taxonomy, List.of());
        long best = -2;
        double bestSimilarity = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vectors.size(); i++) {
            double dot = 0;
            float[] v = vectors.get(i);
            for (int d = 0; d < DIM; d++) {
                dot += q[d] * v[d];
            }
            if (dot > bestSimilarity) {
                bestSimilarity = dot;
                best = CLASSES.get(taxonomy).get(i);
            }
        }
        return best;
    }

    /**
     * The class whose mean prototype (the normalised mean of its supports) is nearest to {@code q}, in Java from the
     * loaded vectors; -2 if none.
     */
    private static long bruteForceNearestMean(float[] q, long taxonomy) {
        java.util.Map<Long, double[]> sums = SUMS.computeIfAbsent(taxonomy, t -> {
            java.util.Map<Long, double[]> out = new java.util.HashMap<>();
            List<float[]> vectors = VECTORS.getOrDefault(t, List.of());
            for (int i = 0; i < vectors.size(); i++) {
                double[] sum = out.computeIfAbsent(CLASSES.get(t).get(i), k -> new double[DIM]);
                for (int d = 0; d < DIM; d++) {
                    sum[d] += vectors.get(i)[d];
                }
            }
            return out;
        });
        long best = -2;
        double bestCosine = Double.NEGATIVE_INFINITY;
        for (var e : sums.entrySet()) {
            double dot = 0;
            double norm = 0;
            for (int d = 0; d < DIM; d++) {
                dot += q[d] * e.getValue()[d];
                norm += e.getValue()[d] * e.getValue()[d];
            }
            if (dot / Math.sqrt(norm) > bestCosine) {
                bestCosine = dot / Math.sqrt(norm);
                best = e.getKey();
            }
        }
        return best;
    }

    /** Inserts clustered vectors; returns the class centroids (queries are drawn near them). */
    private static List<float[]> load(Connection c, Random r, long firstTaxonomy, int supports, int taxonomies, int classes) throws Exception {
        long t0 = System.nanoTime();
        List<float[]> centroids = new ArrayList<>();
        for (int i = 0; i < classes * taxonomies; i++) {
            centroids.add(unit(gaussian(r, 1.0)));
        }
        c.setAutoCommit(false);
        try (PreparedStatement p = c.prepareStatement(
                "INSERT INTO knn_bench.support_embedding VALUES (gen_random_uuid(), ?, ?, ?, CAST(? AS vector))")) {
            for (int i = 0; i < supports; i++) {
                int taxonomy = i % taxonomies;
                int cls = r.nextInt(classes);
                float[] v = unit(add(centroids.get(taxonomy * classes + cls), gaussian(r, 0.09)));
                VECTORS.computeIfAbsent(firstTaxonomy + taxonomy, k -> new ArrayList<>()).add(v);
                CLASSES.computeIfAbsent(firstTaxonomy + taxonomy, k -> new ArrayList<>()).add((long) cls);
                p.setString(1, VERSION);
                p.setLong(2, firstTaxonomy + taxonomy);
                p.setLong(3, cls);
                p.setString(4, text(v));
                p.addBatch();
                if (i % 2000 == 1999) {
                    // a transaction per batch, as the registry writes (AddSupport, a re-embedding batch): thousands of
                    // updates of one class_prototype row in one transaction would each walk that row's versions
                    p.executeBatch();
                    c.commit();
                }
            }
            p.executeBatch();
        }
        c.commit();
        c.setAutoCommit(true);
        System.err.printf("loaded %d supports over %d taxonomies in %.1f s%n", supports, taxonomies, (System.nanoTime() - t0) / 1e9);
        return centroids;
    }

    /** The path Classify takes for a taxonomy of this many supports (ClassificationService). */
    private static Path registryPath(int supports, int exactMax, int twoPassMin) {
        return supports > exactMax ? Path.APPROXIMATE
                : SupportEmbeddingRepository.inTwoPasses(supports, twoPassMin) ? Path.EXACT_TWO_PASS : Path.EXACT;
    }

    private static Result scenario(Connection c, String name, List<Long> taxonomies, int perTaxonomy, List<float[]> centroids, int classes,
                                   int queries, Path path, Random r) throws Exception {
        boolean meanPrototype = path == Path.MEAN_KEPT || path == Path.MEAN_AVERAGED;
        long[] micros = new long[queries];
        long[] bareMicros = new long[queries];
        int agree = 0;
        int fillIns = 0;
        float[] q = null;
        long taxonomy = -1;
        for (int i = 0; i < queries; i++) {
            taxonomy = taxonomies.get(r.nextInt(taxonomies.size()));
            q = unit(add(centroids.get(r.nextInt(centroids.size())), gaussian(r, 0.12)));
            long t0 = System.nanoTime();
            Search found = switch (path) {
                case EXACT, EXACT_TWO_PASS -> exact(c, q, taxonomy, path == Path.EXACT_TWO_PASS);
                case APPROXIMATE -> approximate(c, q, taxonomy, classes);
                case MEAN_KEPT -> new Search(top(query(c, SupportEmbeddingRepository.MEAN_PROTOTYPE_DISTANCES, q, taxonomy, null)), false);
                case MEAN_AVERAGED -> new Search(top(query(c, MEAN_PROTOTYPE_AVERAGED_PER_QUERY, q, taxonomy, null)), false);
            };
            micros[i] = (System.nanoTime() - t0) / 1000;
            fillIns += found.filledIn() ? 1 : 0;
            long truth = meanPrototype ? bruteForceNearestMean(q, taxonomy) : bruteForceNearest(q, taxonomy);
            agree += found.topClass() >= 0 && found.topClass() == truth ? 1 : 0;
            long b0 = System.nanoTime();
            query(c, BARE_SCAN, q, taxonomy, null);
            bareMicros[i] = (System.nanoTime() - b0) / 1000;
        }
        Arrays.sort(micros);
        Arrays.sort(bareMicros);
        Result result = new Result(name, perTaxonomy, path, micros[queries / 2] / 1e3, micros[(int) (queries * 0.9)] / 1e3,
                (double) agree / queries, bareMicros[queries / 2] / 1e3, fillIns, plan(c, path, q, taxonomy));
        System.out.printf("| %s | %d | %s | %.2f | %.2f | %.3f | %.2f | %d |%n", name, perTaxonomy, path.label,
                result.p50Ms(), result.p90Ms(), result.recallAt1(), result.bareScanP50Ms(), result.exactFillIns());
        return result;
    }

    /**
     * The floor of an exact search: every row of the taxonomy and version read and its distance computed, no sort and
     * one row out (what any exact search must at least do). A sum, not a min: PostgreSQL answers min() through the HNSW
     * index (an ordered index scan, LIMIT 1), which would be neither a scan nor exact.
     */
    private static final String BARE_SCAN = """
            SELECT 0, sum(embedding <=> CAST(?1 AS vector)) FROM support_embedding WHERE taxonomy_id = ?2 AND model_version = ?3""";

    /** The mean-prototype distances as Classify computed them before V9 kept the means: every support averaged per query. */
    public static final String MEAN_PROTOTYPE_AVERAGED_PER_QUERY = """
            SELECT class_id, l2_normalize(avg(embedding)) <=> CAST(?1 AS vector) AS d
            FROM support_embedding WHERE taxonomy_id = ?2 AND model_version = ?3 GROUP BY class_id""";

    /**
     * A scratch support_embedding in {@code schema}: the registry's columns the searches read, its primary key and its
     * (taxonomy, version) index under the registry's name; no HNSW index and no stream projections.
     */
    public static void createSupportEmbedding(Statement s, String schema) throws java.sql.SQLException {
        s.execute("""
                CREATE TABLE %s.support_embedding (sample_id UUID NOT NULL, model_version VARCHAR(128) NOT NULL,
                    taxonomy_id BIGINT NOT NULL, class_id BIGINT NOT NULL, embedding vector(128) NOT NULL,
                    PRIMARY KEY (sample_id, model_version))""".formatted(schema));
        s.execute("CREATE INDEX support_embedding_scope ON %s.support_embedding (taxonomy_id, model_version)".formatted(schema));
    }

    /** A registry migration's SQL, from the classpath (the registry's main resources). */
    public static String migration(String file) throws java.io.IOException {
        try (var in = KnnBenchmark.class.getResourceAsStream("/db/migration/" + file)) {
            if (in == null) {
                throw new IllegalStateException("migration " + file + " is not on the classpath");
            }
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    /** What a search found: the nearest class, and whether the exact fill-in for classes the HNSW candidates missed ran. */
    private record Search(long topClass, boolean filledIn) {
    }

    private static Search exact(Connection c, float[] q, long taxonomy, boolean twoPass) throws Exception {
        return new Search(top(query(c, SupportEmbeddingRepository.exactNearestPerClass(twoPass), q, taxonomy, null)), false);
    }

    /** The registry's own approximate path (SupportEmbeddingRepository.approximate), its statements run on this connection. */
    private static Search approximate(Connection c, float[] q, long taxonomy, int classes) throws Exception {
        c.setAutoCommit(false);
        try {
            SupportEmbeddingRepository.Approximate found = SupportEmbeddingRepository.approximate(new Jdbc(c), taxonomy, VERSION, q,
                    EF_SEARCH, classes);
            return new Search(found.distances().stream().min(java.util.Comparator.comparingDouble(SupportEmbeddingRepository.ClassDistance::distance))
                    .map(SupportEmbeddingRepository.ClassDistance::classId).orElse(-1L), found.filledIn());
        } finally {
            c.commit();
            c.setAutoCommit(true);
        }
    }

    /** The registry's search statements on a plain JDBC connection, in its current transaction (also ClassifyStatementTest's). */
    public record Jdbc(Connection c) implements SupportEmbeddingRepository.DistanceQueries {

        @Override
        public void run(String sql) {
            try (Statement s = c.createStatement()) {
                s.execute(sql);
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public List<SupportEmbeddingRepository.ClassDistance> distances(String jpaSql, Object... parameters) {
            List<SupportEmbeddingRepository.ClassDistance> out = new ArrayList<>();
            try (PreparedStatement p = SupportEmbeddingRepository.prepared(c, jpaSql, parameters); ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    out.add(new SupportEmbeddingRepository.ClassDistance(rs.getLong(1), rs.getDouble(2), rs.getString(3)));
                }
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException(e);
            }
            return out;
        }
    }

    private static long top(java.util.Map<Long, Double> distances) {
        return distances.entrySet().stream().min(java.util.Map.Entry.comparingByValue()).map(java.util.Map.Entry::getKey).orElse(-1L);
    }

    /** EXPLAIN ANALYZE of the path's search statement for one query (HNSW: after its settings, in one transaction). */
    private static String plan(Connection c, Path path, float[] q, long taxonomy) throws Exception {
        String sql = switch (path) {
            case EXACT -> SupportEmbeddingRepository.EXACT_NEAREST_PER_CLASS;
            case EXACT_TWO_PASS -> SupportEmbeddingRepository.EXACT_NEAREST_PER_CLASS_TWO_PASS;
            case APPROXIMATE -> SupportEmbeddingRepository.APPROXIMATE_NEAREST_PER_CLASS;
            case MEAN_KEPT -> SupportEmbeddingRepository.MEAN_PROTOTYPE_DISTANCES;
            case MEAN_AVERAGED -> MEAN_PROTOTYPE_AVERAGED_PER_QUERY;
        };
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            if (path == Path.APPROXIMATE) {
                s.execute(SupportEmbeddingRepository.hnswSettings(EF_SEARCH));
            }
            StringBuilder out = new StringBuilder();
            try (PreparedStatement p = bound(c, "EXPLAIN (ANALYZE, BUFFERS) " + sql, q, taxonomy, null); ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    out.append("    ").append(rs.getString(1)).append('\n');
                }
            }
            return out.toString();
        } finally {
            c.commit();
            c.setAutoCommit(true);
        }
    }

    /** Runs one of Classify's queries (JPA-style ?N parameters): distance by class. ?4 = the candidate count, or {@code classIds}. */
    private static java.util.Map<Long, Double> query(Connection c, String jpaSql, float[] q, long taxonomy, Long[] classIds) throws Exception {
        java.util.Map<Long, Double> out = new java.util.HashMap<>();
        try (PreparedStatement p = bound(c, jpaSql, q, taxonomy, classIds); ResultSet rs = p.executeQuery()) {
            while (rs.next()) {
                out.merge(rs.getLong(1), rs.getDouble(2), Math::min);
            }
        }
        return out;
    }

    /** The benchmark's parameters of Classify's statements: ?1 query, ?2 taxonomy, ?3 version, ?4 candidate count or {@code classIds}. */
    private static PreparedStatement bound(Connection c, String jpaSql, float[] q, long taxonomy, Long[] classIds) throws Exception {
        return SupportEmbeddingRepository.prepared(c, jpaSql, text(q), taxonomy, VERSION,
                classIds != null ? classIds : SupportEmbeddingRepository.candidateCount(EF_SEARCH));
    }

    private static float[] gaussian(Random r, double sigma) {
        float[] v = new float[DIM];
        for (int i = 0; i < DIM; i++) {
            v[i] = (float) (r.nextGaussian() * sigma);
        }
        return v;
    }

    private static float[] add(float[] a, float[] b) {
        float[] v = new float[DIM];
        for (int i = 0; i < DIM; i++) {
            v[i] = a[i] + b[i];
        }
        return v;
    }

    private static float[] unit(float[] v) {
        double n = 0;
        for (float x : v) {
            n += x * x;
        }
        float inv = (float) (1 / Math.sqrt(n));
        for (int i = 0; i < v.length; i++) {
            v[i] *= inv;
        }
        return v;
    }

    private static String text(float[] v) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) {
            b.append(i == 0 ? "" : ",").append(v[i]);
        }
        return b.append(']').toString();
    }
}
