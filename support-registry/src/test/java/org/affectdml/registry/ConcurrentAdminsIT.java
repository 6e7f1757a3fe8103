package org.affectdml.registry;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import org.affectdml.inference.testing.TestImages;
import org.affectdml.inference.testing.TinyModels;
import org.affectdml.proto.v1.AddSupportRequest;
import org.affectdml.proto.v1.AddSupportResponse;
import org.affectdml.proto.v1.DeleteTaxonomyRequest;
import org.affectdml.proto.v1.Image;
import org.affectdml.proto.v1.ListSupportsResponse;
import org.affectdml.proto.v1.PersonBox;
import org.affectdml.proto.v1.RemoveSupportRequest;
import org.affectdml.proto.v1.SupportSample;
import org.affectdml.proto.v1.Taxonomy;
import org.affectdml.proto.v1.UpdateTaxonomyRequest;
import org.affectdml.service.testing.ServiceProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.affectdml.registry.RegistryTestSupport.taxonomy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Several admins at once, over gRPC and REST, on two registry processes sharing one database, with a PostgreSQL
 * restart in the middle (of a server of this test's own, {@link OwnPostgres}: no other test loses its database). Every call and its answer is recorded; an answer that leaves the outcome unknown
 * (UNAVAILABLE, DEADLINE_EXCEEDED) is retried with the same request id, on whichever replica, until it is known, so
 * the history is complete. Then the checker: no INTERNAL or other unexpected status; per taxonomy the revision is
 * one plus the number of acknowledged changes and every acknowledged update got its own revision, one above the one it
 * expected; the stored description is that of the last acknowledged update; the stored supports are exactly those
 * acknowledged added and not acknowledged removed; a replayed request id answers its first answer; a read on the other
 * replica after an acknowledgement sees it; concurrent creates and deletes of one name have one winner; no support or
 * embedding is left without its taxonomy. (Creates race an ImportTaxonomy of the same name: one of them wins.)
 */
class ConcurrentAdminsIT {

    private static final String ADMIN = "concurrency-admin-key";
    private static final long TRAFFIC_MILLIS = 36_000;
    private static final long RESTART_AFTER_MILLIS = 12_000;
    private static final int WRITERS = 6;
    private static final int RACERS = 4;
    private static final long OUTCOME_DEADLINE_MILLIS = 90_000;
    private static final String AMBIGUOUS = "after an unknown outcome: ";

    @TempDir
    Path tmp;

    /** One acknowledged change or refusal of a stable taxonomy, as recorded. */
    record Change(String kind, String taxonomy, long expectedRevision, long revision, String description, String supportId) {
    }

    private final List<String> violations = Collections.synchronizedList(new ArrayList<>());
    private final List<Change> acknowledged = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, String> addedSupports = new ConcurrentHashMap<>();  // id -> taxonomy
    private final Set<String> removedSupports = ConcurrentHashMap.newKeySet();
    private final Set<String> removalsRefusedAsMissing = ConcurrentHashMap.newKeySet();
    private final AtomicInteger unknownOutcomes = new AtomicInteger();
    private final AtomicInteger replays = new AtomicInteger();
    private final Map<Status.Code, AtomicInteger> codes = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicBoolean raceOver = new java.util.concurrent.atomic.AtomicBoolean();
    /** The database the registries share: a server of this test's own where one can be started, else the shared test database. */
    private OwnPostgres ownDatabase;

    @Test
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void concurrentAdminsOnTwoReplicasLoseNoAcknowledgedWrite() throws Exception {
        Path store = tmp.resolve("store");
        TinyModels.activeDefaultBundle(store);
        Map<String, String> models = Map.of("affect.model-store.path", store.toString(), "affect.embedding.segmentation", "in-process",
                "affect.onnx.intra-op-threads", "1");
        try (OwnPostgres own = OwnPostgres.unavailableReason().isEmpty() ? OwnPostgres.start("affect_concurrency") : null) {
            ownDatabase = own;
            try (ServiceProcess embedding = ServiceProcess.start(ServiceProcess.requirePackagedApp("embedding-service"), models, tmp.resolve("logs"));
                 ServiceProcess a = registry(embedding.port);
                 ServiceProcess b = registry(embedding.port)) {
                ManagedChannel channelA = ManagedChannelBuilder.forAddress("127.0.0.1", a.port).usePlaintext().build();
                ManagedChannel channelB = ManagedChannelBuilder.forAddress("127.0.0.1", b.port).usePlaintext().build();
                List<AdminClient> clients = List.of(AdminClient.grpc("grpc-A", channelA, ADMIN), AdminClient.grpc("grpc-B", channelB, ADMIN),
                        AdminClient.rest("rest-A", "http://127.0.0.1:" + a.port + "/", ADMIN),
                        AdminClient.rest("rest-B", "http://127.0.0.1:" + b.port + "/", ADMIN));
                try {
                    run(clients);
                } finally {
                    channelA.shutdownNow();
                    channelB.shutdownNow();
                }
                assertQuietLogs();
            } finally {
                keepLogs();
            }
        }
    }

    /**
     * Routine events (races, refused input, a database restart) leave no ERROR and no stack trace in the registries'
     * logs: an ERROR is for what an operator must act on, and the restart's warnings are one line each.
     */
    private void assertQuietLogs() throws java.io.IOException {
        List<String> noisy = new ArrayList<>();
        try (var logs = Files.list(tmp.resolve("logs"))) {
            for (Path log : logs.filter(l -> l.getFileName().toString().startsWith("support-registry")).toList()) {
                Files.readAllLines(log).stream().filter(l -> l.contains(" ERROR ") || l.startsWith("\tat ") || l.startsWith("Caused by"))
                        .limit(10).forEach(l -> noisy.add(log.getFileName() + ": " + l));
            }
        }
        assertEquals(List.of(), noisy, "ERROR lines or stack traces in the registry logs (all in target/concurrent-admins-logs)");
    }

    /** The services' logs, kept in target/ for whoever reads a failure (the temporary directory goes with the test). */
    private void keepLogs() throws java.io.IOException {
        Path kept = Path.of("target", "concurrent-admins-logs");
        Files.createDirectories(kept);
        try (var logs = Files.list(tmp.resolve("logs"))) {
            for (Path log : logs.toList()) {
                Files.copy(log, kept.resolve(log.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private void run(List<AdminClient> clients) throws Exception {
        String prefix = "cc-" + Long.toHexString(System.nanoTime());
        List<String> stable = List.of(prefix + "-s0", prefix + "-s1");
        for (String name : stable) {
            assertEquals(Status.Code.OK, clients.get(0).create(taxonomy(name, "a", "b").toBuilder().setRequestId(UUID.randomUUID().toString())
                    .build()).code());
        }
        List<byte[]> images = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            images.add(TestImages.png(RegistryTestSupport.scene(i)));
        }

        ExecutorService pool = Executors.newFixedThreadPool(WRITERS + RACERS + 1);
        long end = System.currentTimeMillis() + TRAFFIC_MILLIS;
        List<Future<?>> work = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            int writer = w;
            work.add(pool.submit(() -> writer(writer, clients, stable, images, end)));
        }
        // Every third trip (a round's end) decides for all racers at once whether another round starts.
        AtomicInteger trips = new AtomicInteger();
        CyclicBarrier barrier = new CyclicBarrier(RACERS, () -> {
            if (trips.incrementAndGet() % 3 == 0) {
                raceOver.set(System.currentTimeMillis() >= end);
            }
        });
        Map<Integer, List<AdminClient.Outcome<?>>> creates = new ConcurrentHashMap<>();
        Map<Integer, List<AdminClient.Outcome<?>>> deletes = new ConcurrentHashMap<>();
        for (int r = 0; r < RACERS; r++) {
            int racer = r;
            work.add(pool.submit(() -> racer(racer, clients.get(racer % clients.size()), prefix, images.get(0), end, barrier, creates, deletes)));
        }
        String restart = restartPostgresMidway(pool);
        pool.shutdown();
        for (Future<?> f : work) {
            f.get(OUTCOME_DEADLINE_MILLIS + TRAFFIC_MILLIS, TimeUnit.MILLISECONDS);
        }
        assertTrue(pool.awaitTermination(2, TimeUnit.MINUTES), "client threads ended");

        checkRaces(creates, deletes);
        for (String name : stable) {
            checkStable(clients.get(0), clients.get(3), name);
        }
        checkNoOrphans();
        System.out.printf("ConcurrentAdminsIT: %d acknowledged changes, %d answers with an unknown outcome retried to a known one, %d request "
                + "ids replayed, %d create/delete race rounds, codes %s; PostgreSQL: %s%n", acknowledged.size(), unknownOutcomes.get(),
                replays.get(), creates.size(), codes, restart);
        assertEquals(List.of(), violations, "violations of the registry's guarantees");
    }

    /** Random updates, adds and removes on the stable taxonomies, each through a random client, some replayed. */
    private void writer(int writer, List<AdminClient> clients, List<String> stable, List<byte[]> images, long end) {
        Random random = new Random(7919L * writer);
        int seq = 0;
        while (System.currentTimeMillis() < end) {
            String name = stable.get(random.nextInt(stable.size()));
            AdminClient client = clients.get(random.nextInt(clients.size()));
            AdminClient other = clients.get((clients.indexOf(client) + 1 + random.nextInt(clients.size() - 1)) % clients.size());
            int op = random.nextInt(10);
            seq++;
            if (op < 4) {
                update(client, other, name, "d-" + writer + "-" + seq, random.nextInt(4) == 0);
            } else if (op < 8) {
                // (sha, box) unique per call: x1 steps by 1/1024 px, exact in a float
                float x1 = 40 + (writer * 2000 + seq) / 1024f;
                add(client, other, AddSupportRequest.newBuilder().setTaxonomy(name).setClassName(random.nextBoolean() ? "a" : "b")
                        .setImage(Image.newBuilder().setData(ByteString.copyFrom(images.get(seq % images.size()))))
                        .setBox(PersonBox.newBuilder().setX1(x1).setY1(20).setX2(110).setY2(110)).putMetadata("writer", "w" + writer)
                        .setRequestId(UUID.randomUUID().toString()).build(), random.nextInt(4) == 0);
            } else {
                List<String> candidates = addedSupports.entrySet().stream().filter(e -> e.getValue().equals(name))
                        .map(Map.Entry::getKey).filter(id -> !removedSupports.contains(id)).sorted().toList();
                if (!candidates.isEmpty()) {
                    remove(client, name, candidates.get(random.nextInt(candidates.size())));
                }
            }
        }
    }

    private void update(AdminClient client, AdminClient other, String name, String description, boolean replay) {
        AdminClient.Outcome<Taxonomy> current = known(() -> client.get(name));
        if (!current.ok()) {
            violations.add("GetTaxonomy " + name + ": " + current.code() + " " + current.message());
            return;
        }
        long expected = current.answer().getRevision();
        UpdateTaxonomyRequest request = UpdateTaxonomyRequest.newBuilder().setName(name).setExpectedRevision(expected)
                .setDescription(description).setRequestId(UUID.randomUUID().toString()).build();
        AdminClient.Outcome<Taxonomy> o = known(() -> client.update(request));
        if (o.ok()) {
            long revision = o.answer().getRevision();
            acknowledged.add(new Change("update", name, expected, revision, description, ""));
            if (revision != expected + 1) {
                violations.add("update of " + name + " at revision " + expected + " acknowledged with revision " + revision);
            }
            AdminClient.Outcome<Taxonomy> seen = known(() -> other.get(name));
            if (!seen.ok() || seen.answer().getRevision() < revision) {
                violations.add("after update to revision " + revision + " of " + name + ", " + other.name() + " read "
                        + (seen.ok() ? "revision " + seen.answer().getRevision() : seen.code()));
            }
            if (replay) {
                replayed("UpdateTaxonomy", o, known(() -> other.update(request)));
            }
        } else if (o.code() != Status.Code.ABORTED || !o.message().contains("revision")) {
            violations.add("update of " + name + " at revision " + expected + ": " + o.code() + " " + o.message());
        }
    }

    private void add(AdminClient client, AdminClient other, AddSupportRequest request, boolean replay) {
        AdminClient.Outcome<AddSupportResponse> o = known(() -> client.add(request));
        if (!o.ok()) {
            violations.add("AddSupport to " + request.getTaxonomy() + ": " + o.code() + " " + o.message());
            return;
        }
        if (!o.answer().getCreated()) {
            violations.add("AddSupport of a new (image, box) answered created = false: " + o.answer().getSample().getId());
        }
        addedSupports.put(o.answer().getSample().getId(), request.getTaxonomy());
        acknowledged.add(new Change("add", request.getTaxonomy(), 0, 0, "", o.answer().getSample().getId()));
        if (replay) {
            replayed("AddSupport", o, known(() -> other.add(request)));
        }
    }

    private void remove(AdminClient client, String name, String id) {
        RemoveSupportRequest request = RemoveSupportRequest.newBuilder().setTaxonomy(name).setSupportId(id)
                .setRequestId(UUID.randomUUID().toString()).build();
        AdminClient.Outcome<?> o = known(() -> client.remove(request));
        if (o.ok()) {
            if (!removedSupports.add(id)) {
                violations.add("support " + id + " acknowledged removed twice");
            }
            acknowledged.add(new Change("remove", name, 0, 0, "", id));
        } else if (o.code() == Status.Code.NOT_FOUND) {
            removalsRefusedAsMissing.add(id);  // someone else removed it first: checked at the end
        } else {
            violations.add("RemoveSupport " + id + ": " + o.code() + " " + o.message());
        }
    }

    /** The same request id again, to another replica or transport: the first answer, not a second change. */
    private void replayed(String call, AdminClient.Outcome<? extends Message> first, AdminClient.Outcome<? extends Message> again) {
        replays.incrementAndGet();
        if (!again.ok() || !first.answer().equals(again.answer())) {
            violations.add(call + " replayed with its request id answered " + again.code() + " " + again.message()
                    + (again.ok() ? " with another answer" : ""));
        }
    }

    /**
     * Rounds of RACERS clients creating one new name at once, then adding a support to it while deleting it at
     * once: one create and one delete win.
     */
    private void racer(int racer, AdminClient client, String prefix, byte[] image, long end, CyclicBarrier barrier,
                       Map<Integer, List<AdminClient.Outcome<?>>> creates, Map<Integer, List<AdminClient.Outcome<?>>> deletes) {
        try {
            for (int round = 0; !raceOver.get(); round++) {
                String name = prefix + "-race-" + round;
                var create = taxonomy(name, "a", "b").toBuilder().setRequestId(UUID.randomUUID().toString()).build();
                // the last racer imports the name (with a support) while the others create it
                List<org.affectdml.proto.v1.TaxonomyArchiveChunk> archive = List.of(
                        org.affectdml.proto.v1.TaxonomyArchiveChunk.newBuilder().setHeader(create.getTaxonomy()).build(),
                        org.affectdml.proto.v1.TaxonomyArchiveChunk.newBuilder().setSupport(org.affectdml.proto.v1.ExportedSupport.newBuilder()
                                .setClassName("b").setImage(Image.newBuilder().setData(ByteString.copyFrom(image))).setBox(RegistryTestSupport.BOX)).build());
                barrier.await(OUTCOME_DEADLINE_MILLIS, TimeUnit.MILLISECONDS);
                AdminClient.Outcome<?> created;
                if (racer == RACERS - 1) {
                    // An import has no request id: after an unknown outcome, ALREADY_EXISTS may mean "yours".
                    boolean[] unknown = {false};
                    created = known(() -> {
                        var o = client.importTaxonomy(archive);
                        unknown[0] |= o.unknown();
                        return o;
                    });
                    if (unknown[0] && created.code() == Status.Code.ALREADY_EXISTS) {
                        created = new AdminClient.Outcome<>(Status.Code.ALREADY_EXISTS, null, AMBIGUOUS + created.message());
                    }
                } else {
                    created = known(() -> client.create(create));
                }
                creates.computeIfAbsent(round, k -> Collections.synchronizedList(new ArrayList<>())).add(created);
                barrier.await(OUTCOME_DEADLINE_MILLIS, TimeUnit.MILLISECONDS);
                if (racer == 0) {
                    var add = AddSupportRequest.newBuilder().setTaxonomy(name).setClassName("a")
                            .setImage(Image.newBuilder().setData(ByteString.copyFrom(image))).setBox(RegistryTestSupport.BOX)
                            .setRequestId(UUID.randomUUID().toString()).build();
                    var added = known(() -> client.add(add));
                    if (!added.ok() && added.code() != Status.Code.NOT_FOUND) {
                        violations.add("AddSupport racing DeleteTaxonomy: " + added.code() + " " + added.message());
                    }
                } else {
                    var delete = DeleteTaxonomyRequest.newBuilder().setName(name).setRequestId(UUID.randomUUID().toString()).build();
                    var deleted = known(() -> client.delete(delete));
                    deletes.computeIfAbsent(round, k -> Collections.synchronizedList(new ArrayList<>())).add(deleted);
                }
                barrier.await(OUTCOME_DEADLINE_MILLIS, TimeUnit.MILLISECONDS);  // its action decides for all whether to go on
            }
        } catch (Exception e) {
            violations.add("racer " + racer + " stopped: " + e);
        }
    }

    private void checkRaces(Map<Integer, List<AdminClient.Outcome<?>>> creates, Map<Integer, List<AdminClient.Outcome<?>>> deletes) {
        creates.forEach((round, outcomes) -> {
            long ok = outcomes.stream().filter(AdminClient.Outcome::ok).count();
            long ambiguous = outcomes.stream().filter(o -> o.message().startsWith(AMBIGUOUS)).count();
            boolean othersExist = outcomes.stream().allMatch(o -> o.ok() || o.code() == Status.Code.ALREADY_EXISTS);
            if (ok > 1 || ok + ambiguous < 1 || !othersExist) {
                violations.add("round " + round + " of concurrent creates answered " + outcomes.stream().map(o -> o.code() + " " + o.message()).toList());
            }
        });
        deletes.forEach((round, outcomes) -> {
            long ok = outcomes.stream().filter(AdminClient.Outcome::ok).count();
            boolean othersMissing = outcomes.stream().allMatch(o -> o.ok() || o.code() == Status.Code.NOT_FOUND);
            if (ok != 1 || !othersMissing) {
                violations.add("round " + round + " of concurrent deletes answered " + outcomes.stream().map(o -> o.code() + " " + o.message()).toList());
            }
        });
    }

    /** The stored taxonomy against the history of its acknowledged changes. */
    private void checkStable(AdminClient grpc, AdminClient rest, String name) {
        List<Change> mine;
        synchronized (acknowledged) {
            mine = acknowledged.stream().filter(c -> c.taxonomy().equals(name)).toList();
        }
        Taxonomy stored = known(() -> grpc.get(name)).answer();
        assertEquals(stored, known(() -> rest.get(name)).answer(), "both replicas and transports read the same taxonomy");
        long changes = mine.size();
        if (stored.getRevision() != 1 + changes) {
            violations.add(name + " is at revision " + stored.getRevision() + " after " + changes + " acknowledged changes (expected "
                    + (1 + changes) + ")");
        }
        Map<Long, Change> byRevision = new HashMap<>();
        for (Change c : mine) {
            if (c.kind().equals("update") && byRevision.put(c.revision(), c) != null) {
                violations.add(name + ": two acknowledged updates share revision " + c.revision());
            }
        }
        byRevision.values().stream().max(java.util.Comparator.comparingLong(Change::revision)).ifPresent(last -> {
            if (!stored.getDescription().equals(last.description())) {
                violations.add(name + " has description '" + stored.getDescription() + "', but the last acknowledged update (revision "
                        + last.revision() + ") set '" + last.description() + "'");
            }
        });
        Set<String> expected = new HashSet<>();
        mine.stream().filter(c -> c.kind().equals("add")).forEach(c -> expected.add(c.supportId()));
        mine.stream().filter(c -> c.kind().equals("remove")).forEach(c -> expected.remove(c.supportId()));
        Set<String> present = new HashSet<>();
        String token = "";
        int pages = 0;
        do {
            String page = token;
            ListSupportsResponse r = known(() -> grpc.supports(name, page)).answer();
            r.getSamplesList().stream().map(SupportSample::getId).forEach(present::add);
            token = r.getNextPageToken();
        } while (!token.isEmpty() && ++pages < 10_000);
        assertEquals("", token, name + ": paging ended within 10 000 pages");
        if (!present.equals(expected)) {
            Set<String> missing = new HashSet<>(expected);
            missing.removeAll(present);
            Set<String> extra = new HashSet<>(present);
            extra.removeAll(expected);
            violations.add(name + ": acknowledged supports missing " + missing + ", unacknowledged present " + extra);
        }
        for (String id : removalsRefusedAsMissing) {
            if (name.equals(addedSupports.get(id)) && !removedSupports.contains(id)) {
                violations.add("RemoveSupport of " + id + " answered NOT_FOUND, but no acknowledged removal took it");
            }
        }
    }

    private void checkNoOrphans() throws Exception {
        try (Connection db = DriverManager.getConnection(ownDatabase == null ? RegistryProcesses.TEST_DB_URL : ownDatabase.jdbcUrl(),
                OwnPostgres.USER, OwnPostgres.PASSWORD);
             ResultSet r = db.createStatement().executeQuery("""
                     SELECT (SELECT count(*) FROM support_sample s WHERE NOT EXISTS (SELECT 1 FROM taxonomy t WHERE t.id = s.taxonomy_id)),
                            (SELECT count(*) FROM support_embedding e WHERE NOT EXISTS (SELECT 1 FROM taxonomy t WHERE t.id = e.taxonomy_id))""")) {
            r.next();
            assertEquals(0, r.getLong(1), "supports without their taxonomy");
            assertEquals(0, r.getLong(2), "embeddings without their taxonomy");
        }
    }

    /**
     * Calls until the answer says what happened: UNAVAILABLE and DEADLINE_EXCEEDED leave it unknown, and the same
     * request (same request id) is sent again; the registry then answers the first outcome.
     */
    private <T extends Message> AdminClient.Outcome<T> known(Supplier<AdminClient.Outcome<T>> call) {
        long deadline = System.currentTimeMillis() + OUTCOME_DEADLINE_MILLIS;
        while (true) {
            AdminClient.Outcome<T> o = call.get();
            codes.computeIfAbsent(o.code(), k -> new AtomicInteger()).incrementAndGet();
            if (o.code() == Status.Code.INTERNAL || o.code() == Status.Code.UNKNOWN) {
                violations.add("answered " + o.code() + ": " + o.message());
            }
            if (!o.unknown() || System.currentTimeMillis() > deadline) {
                return o;
            }
            unknownOutcomes.incrementAndGet();
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return o;
            }
        }
    }

    /** Restarts the test's own PostgreSQL a third into the traffic, where it has one; says what it did. */
    private String restartPostgresMidway(ExecutorService pool) throws Exception {
        if (ownDatabase == null) {
            return "not restarted: " + OwnPostgres.unavailableReason().orElse("no server of the test's own");
        }
        return pool.submit(() -> {
            Thread.sleep(RESTART_AFTER_MILLIS);
            ownDatabase.stopServer();
            ownDatabase.startServer();
            return "restarted after " + RESTART_AFTER_MILLIS + " ms";
        }).get(OUTCOME_DEADLINE_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** A registry replica on the test's database calling embedding-service on {@code embeddingPort}. */
    private ServiceProcess registry(int embeddingPort) throws Exception {
        Map<String, String> settings = ownDatabase == null ? Map.of() : Map.of("quarkus.datasource.jdbc.url", ownDatabase.jdbcUrl());
        return RegistryProcesses.start(embeddingPort, ADMIN, "concurrency-client-key", settings, tmp.resolve("logs"));
    }
}
