package org.affectdml.registry.bench;

import org.affectdml.inference.testing.TinyModels;
import org.affectdml.proto.v1.PersonBox;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Classify overhead benchmark, small, with the tiny models, so a broken benchmark (or a service that stops
 * reporting its stages) fails the suite. No timing is asserted: only that every stage was measured and adds up.
 * An IT: it runs this module's own packaged app, which exists only after the package phase.
 */
class ClassifyOverheadBenchmarkIT {

    @TempDir
    Path work;

    @Test
    void everyStageIsMeasuredAndTheHopsAddUp() throws Exception {
        Path store = work.resolve("store");
        TinyModels.activeDefaultBundle(store);
        String db = System.getenv().getOrDefault("AFFECT_TEST_DB_URL", "jdbc:postgresql://127.0.0.1:5432/affect_test");
        ClassifyOverheadBenchmark.Result r = ClassifyOverheadBenchmark.run(new ClassifyOverheadBenchmark.Settings("tiny", store,
                ClassifyOverheadBenchmark.jpeg(128, 96, new Random(3)), PersonBox.newBuilder().setX1(40).setY1(16).setX2(96).setY2(90).build(),
                30, 5, 4, 40, false, work, db));
        ClassifyOverheadBenchmark.print(r);
        // in the steady state a Classify starts from the check kept from earlier calls and makes one search statement
        for (String stage : new String[]{"registry check.kept", "registry knn.statement", "registry embed", "registry knn", "embedding total", "embedding decode",
                "embedding segmentation", "segmentation-service own (reported)",
                "database floor: SELECT 1 from the benchmark, between calls",
                "database, from the benchmark: the registry's statement planned once (as the search pool)",
                "database, from the benchmark: the same planned for each call (as the main pool)"}) {
            assertTrue(r.stage(stage).p50() > 0, stage + " was not measured: " + r.stages());
        }
        // the client's time contains the registry's, which contains the Embed call's, which contains embedding-service's
        assertTrue(r.stage("client end to end").p50() >= r.stage("registry total").p50(), r.stages().toString());
        assertTrue(r.stage("registry total").p50() >= r.stage("registry embed").p50(), r.stages().toString());
        assertTrue(r.stage("registry embed").p50() >= r.stage("embedding total").p50(), r.stages().toString());
        assertTrue(r.stage("registry own work (total - embed)").p50()
                >= r.stage("registry own work outside the statement (total - embed - knn.statement)").p50(), r.stages().toString());
        // each service's own view of the call (headers in to trailers out) holds its work: nothing negative, nothing missing
        assertEquals(0.0, r.stage("registry check").p50(), "most calls read no check from the database: " + r.stages());
        assertEquals(0.0, r.stage("registry knn.read").p50(), "most calls read no taxonomy after the statement: " + r.stages());
        for (String stage : new String[]{"registry request in, hand-off, answer out (call - total)",
                "direct Embed: request in, hand-off, answer out (call - total)"}) {
            assertTrue(r.stage(stage).p50() >= 0, stage + ": " + r.stages());
        }
        assertTrue(r.stage("direct Embed: client").p50() >= r.stage("direct Embed: client and network (client - server call)").p50(),
                r.stages().toString());
        assertTrue(r.throughputPerSecond() > 0);
        assertEquals(30, r.requests());
    }
}
