package org.affectdml.deploy;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import org.affectdml.deploy.stack.ContainerStack;
import org.affectdml.deploy.stack.Podman;
import org.affectdml.deploy.stack.RenderedOverlay;
import org.affectdml.inference.bundle.ModelStore;
import org.affectdml.inference.testing.StandInBundle;
import org.affectdml.inference.testing.TestImages;
import org.affectdml.inference.testing.TinyModels;
import org.affectdml.proto.v1.AddSupportRequest;
import org.affectdml.proto.v1.ClassificationGrpc;
import org.affectdml.proto.v1.ClassifyPersonsRequest;
import org.affectdml.proto.v1.ClassifyPersonsResponse;
import org.affectdml.proto.v1.ClassifyRequest;
import org.affectdml.proto.v1.ClassifyResponse;
import org.affectdml.proto.v1.CreateTaxonomyRequest;
import org.affectdml.proto.v1.EmotionClass;
import org.affectdml.proto.v1.GetTaxonomyRequest;
import org.affectdml.proto.v1.Image;
import org.affectdml.proto.v1.PersonBox;
import org.affectdml.proto.v1.Taxonomy;
import org.affectdml.proto.v1.TaxonomyAdminGrpc;
import org.affectdml.proto.v1.TaxonomyKind;
import org.affectdml.service.testing.ServiceProcess;
import org.affectdml.service.testing.GrpcTestChannels;
import org.affectdml.service.testing.PrometheusScrape;
import org.affectdml.inference.image.SyntheticPhotos;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The stack run from its own images, as the rendered CPU overlay says (deploy/k8s): the images built with
 * deploy/containers/build.sh, PostgreSQL + pgvector from its image, every Deployment and StatefulSet started by
 * {@link ContainerStack} with its replicas, environment, Secrets, volumes, memory limit and probes. Then, all through
 * the containers: a taxonomy registered, Classify and ClassifyPersons answered through both registry replicas, every
 * readiness and liveness probe passing, SIGTERM of an inference container under load failing no call with its preStop
 * and grace period honoured, and mixed traffic (`affect bench-soak`, 1 minute here; -Dcontainer-stack.soak-minutes=20
 * and -Dcontainer-stack.models=stand-in for the benchmark) killing no container for memory.
 * <p>
 * Needs podman (deploy/containers/install-engine.sh; .ci/run installs it); skipped, saying so, where it is absent.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ContainerStackIT {

    private static final Path REPO = KubernetesManifestsTest.REPO;
    private static final Path WORK = REPO.resolve("deploy/target/container-stack");
    private static final List<String> SERVICES = List.of("segmentation-service", "embedding-service", "support-registry", "trainer");
    private static final PersonBox BOX = PersonBox.newBuilder().setX1(40).setY1(20).setX2(110).setY2(110).build();
    private static final String TAXONOMY = "demo";

    private static ContainerStack stack;
    private static RenderedOverlay overlay;
    private static Path store;
    private static String adminKey;
    private static String clientKey;
    private static final List<ManagedChannel> channels = new ArrayList<>();

    @BeforeAll
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    static void stackFromImages() throws Exception {
        Assumptions.assumeTrue(Podman.available(), "podman is not installed: the container journey runs where it is "
                + "(deploy/containers/install-engine.sh installs podman, runc and debootstrap; .ci/run does)");
        for (String module : Stream.concat(SERVICES.stream(), Stream.of("cli")).toList()) {
            // the images take these packages as they are (SKIP_PACKAGE): one older than its sources is refused
            assertNotNull(ServiceProcess.packagedApp(REPO, module), module + " is not packaged: run ./mvnw -B verify from the root (or package it first)");
        }
        Files.createDirectories(WORK);
        run(Duration.ofMinutes(25), WORK.resolve("build.log"), Map.of("SKIP_PACKAGE", "true", "CONTAINER_ENGINE", "podman"),
                "deploy/containers/build.sh");
        overlay = RenderedOverlay.read(renderedCpuOverlay());

        store = WORK.resolve("model-store");
        ModelStore.deleteRecursively(store);
        if ("stand-in".equals(System.getProperty("container-stack.models"))) {
            StandInBundle.activate(TestImages.requireSharedDir(), new ModelStore(store),
                    org.affectdml.inference.onnx.OrtSessionFactory.cpu(1));
        } else {
            TinyModels.activeDefaultBundle(store);
        }
        openToAll(WORK);
        Path trainerWork = Files.createDirectories(WORK.resolve("trainer-work"));
        Path datasets = Files.createDirectories(WORK.resolve("datasets"));
        openToAll(WORK);
        ModelStore.deleteRecursively(WORK.resolve("runner"));  // a new cluster: no database or volume of an earlier run
        stack = new ContainerStack(new Podman(REPO), overlay, WORK.resolve("runner"),
                Map.of("model-store", store, "trainer-work", trainerWork, "datasets", datasets));

        var postgres = stack.deploy("postgres");
        stack.awaitReady(postgres, Duration.ofMinutes(2));
        List<ContainerStack.Pod> services = new ArrayList<>();
        for (String s : SERVICES) {
            services.addAll(stack.deploy(s));
        }
        stack.awaitReady(services, Duration.ofMinutes(5));
        for (ContainerStack.Pod p : stack.pods()) {
            System.out.printf("[container-stack] %s ready %d ms after start (memory limit %d MiB)%n", p, p.startToReady().toMillis(),
                    p.plan.memoryLimitBytes() == null ? -1 : p.plan.memoryLimitBytes() >> 20);
        }
        var env = overlay.workload("support-registry").env();
        adminKey = env.get("AFFECT_ADMIN_KEYS").split(",")[0];
        clientKey = env.get("AFFECT_CLIENT_KEYS").split(",")[0];
    }

    @AfterAll
    static void down() {
        channels.forEach(ManagedChannel::shutdownNow);
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    @Order(1)
    void everyPodPassesItsProbesAndRunsAsItsManifestSays() throws Exception {
        for (ContainerStack.Pod p : stack.pods()) {
            assertTrue(p.ready(), p + " is ready");
            if (p.plan.runAsNonRoot()) {
                assertEquals("185", exec(p, "id", "-u"), p + " runs as the images' user 185");
            }
            if (p.plan.memoryLimitBytes() != null) {
                assertEquals(Long.toString(p.plan.memoryLimitBytes()), new Podman(REPO).inspect("affect-stack-" + p.name, "{{.HostConfig.Memory}}"),
                        p + ": the manifest's memory limit is the container's");
            }
        }
        // liveness: the gRPC health service of every pod that declares it answers SERVING within one period (10 s)
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
        while (stack.pods().stream().anyMatch(p -> p.plan.liveness() != null && p.livenessPassed() == 0) && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        for (ContainerStack.Pod p : stack.pods()) {
            if (p.plan.liveness() != null) {
                assertTrue(p.livenessPassed() > 0, p + ": its liveness probe (gRPC health) passes");
            }
            assertEquals(0, p.restarts(), p + " was not restarted by a failing probe");
        }
        // the AppCDS archive each service image carries fits the image's JVM and class path (-Xshare:auto would drop
        // it silently; the class path must be the one it was made with, the entrypoint's -jar)
        for (String service : SERVICES) {
            String image = overlay.workload(service).image();
            Podman.Result cds = new Podman(REPO).run(Duration.ofMinutes(1), "run", "--rm", "--entrypoint", "java", image,
                    "-XX:SharedArchiveFile=/deployments/app-cds.jsa", "-Xshare:on", "-cp", "/deployments/quarkus-run.jar", "-version");
            assertEquals(0, cds.exitCode(), image + ": its AppCDS archive maps with -Xshare:on: " + cds.output());
        }
    }

    @Test
    @Order(2)
    void aTaxonomyIsRegisteredAndClassifiedThroughEveryRegistryReplica() {
        var registries = stack.pods().stream().filter(p -> p.plan.workload().equals("support-registry")).toList();
        assertEquals(2, registries.size(), "the manifest's two registry replicas");
        var admin = GrpcTestChannels.withKey(TaxonomyAdminGrpc.newBlockingStub(channel(registries.get(0))), adminKey);
        String[] classes = {"excited", "engaged", "peaceful"};
        Taxonomy.Builder t = Taxonomy.newBuilder().setName(TAXONOMY).setKind(TaxonomyKind.TAXONOMY_KIND_CATEGORICAL)
                .setDescription("demo: one support photo per class");
        for (String c : classes) {
            t.addClasses(EmotionClass.newBuilder().setName(c));
        }
        admin.createTaxonomy(CreateTaxonomyRequest.newBuilder().setTaxonomy(t).build());
        for (int i = 0; i < classes.length; i++) {
            admin.addSupport(AddSupportRequest.newBuilder().setTaxonomy(TAXONOMY).setClassName(classes[i])
                    .setImage(image(TestImages.png(scene(i)))).setBox(BOX).build());
        }
        for (ContainerStack.Pod registry : registries) {
            var admins = GrpcTestChannels.withKey(TaxonomyAdminGrpc.newBlockingStub(channel(registry)), adminKey);
            assertEquals(3, admins.getTaxonomy(GetTaxonomyRequest.newBuilder().setName(TAXONOMY).build()).getClassesCount(),
                    registry + " sees the taxonomy (one database)");
            var client = GrpcTestChannels.withKey(ClassificationGrpc.newBlockingStub(channel(registry)), clientKey);
            for (int i = 0; i < classes.length; i++) {
                ClassifyResponse answer = client.classify(ClassifyRequest.newBuilder().setTaxonomy(TAXONOMY)
                        .setImage(image(TestImages.jpeg(scene(i)))).setBox(BOX).build());
                assertEquals(classes[i], answer.getClasses(0).getClassName(), registry + ": a support's own scene is its class");
            }
            assertTrue(answerOf(client, 0).getModelVersion().startsWith("default-"), registry + " answers with the store's active bundle");
            ClassifyPersonsResponse persons = client.classifyPersons(ClassifyPersonsRequest.newBuilder().setTaxonomy(TAXONOMY)
                    .setImage(image(TestImages.png(scene(1)))).addBoxes(BOX)
                    .addBoxes(PersonBox.newBuilder().setX1(0).setY1(0).setX2(60).setY2(60)).build());
            assertEquals(2, persons.getPersonsCount(), registry + ": one answer per box");
            assertEquals("engaged", persons.getPersons(0).getClassification().getClasses(0).getClassName(), registry + ": the first box");
            assertTrue(persons.getPersons(1).hasClassification(), registry + ": the second box is classified too");
        }
        for (ContainerStack.Pod p : stack.pods()) {
            assertFalse(stack.logs(p, 100_000).contains("JPEG decoding: ImageIO"), p + " decodes JPEG with libturbojpeg, not the ImageIO fallback");
        }
    }

    private static ClassifyResponse answerOf(ClassificationGrpc.ClassificationBlockingStub client, int variant) {
        return client.classify(ClassifyRequest.newBuilder().setTaxonomy(TAXONOMY).setImage(image(TestImages.jpeg(scene(variant))))
                .setBox(BOX).build());
    }

    @Test
    @Order(3)
    void sigtermOfAnInferenceContainerUnderLoadFailsNoCall() throws Exception {
        var registry = stack.pods().stream().filter(p -> p.plan.workload().equals("support-registry")).findFirst().orElseThrow();
        // A caller without any retry of its own: every call a stopping replica had accepted, or was about to, must be
        // answered by it or sent again by the services themselves (gRPC retries and the registry's call rounds).
        var client = GrpcTestChannels.withKey(ClassificationGrpc.newBlockingStub(channel(registry)), clientKey);
        int rounds = Integer.getInteger("container-stack.sigterm-rounds", 1);
        int ordinal = 2;
        for (int round = 1; round <= rounds; round++) {
            for (String workload : List.of("embedding-service", "segmentation-service")) {
                ContainerStack.Pod victim = stack.pods().stream().filter(p -> p.plan.workload().equals(workload))
                        .findFirst().orElseThrow();
                terminateUnderLoad(client, registry, victim, round);
                // As the Deployment would, replace the stopped pod (the next victim and the mixed traffic below run
                // on two replicas of each again).
                ContainerStack.Pod replacement = stack.start(overlay.workload(workload), ordinal++);
                stack.awaitReady(List.of(replacement), Duration.ofMinutes(3));
                System.out.printf("[container-stack] replacement %s ready %d ms after start%n", replacement,
                        replacement.startToReady().toMillis());
            }
        }
    }

    /** Four callers send Classify calls (every photo new) while {@code victim} is terminated as Kubernetes would. */
    private void terminateUnderLoad(ClassificationGrpc.ClassificationBlockingStub client, ContainerStack.Pod registry,
                                    ContainerStack.Pod victim, int round) throws Exception {
        String workload = victim.plan.workload();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger answered = new AtomicInteger();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        List<Thread> callers = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            int caller = c;
            Thread thread = new Thread(() -> {
                byte[] photo = TestImages.jpeg(scene(caller % 3));
                for (int n = 0; !stop.get(); n++) {
                    // every photo new (a JPEG comment): no cache on the way spares segmentation-service the call
                    ClassifyRequest request = ClassifyRequest.newBuilder().setTaxonomy(TAXONOMY)
                            .setImage(image(SyntheticPhotos.withComment(photo, workload + " " + round + " " + caller + " " + n)))
                            .setBox(BOX).build();
                    try {
                        client.withDeadlineAfter(30, TimeUnit.SECONDS).classify(request);
                        answered.incrementAndGet();
                    } catch (StatusRuntimeException e) {
                        failures.add(e.getStatus().getCode() + ": " + e.getStatus().getDescription());
                    } catch (RuntimeException e) {
                        failures.add(e.toString());  // counted, not a caller that dies and leaves the others to pass
                    }
                }
            });
            thread.start();
            callers.add(thread);
        }
        try {
            awaitAnswered(answered, 20);
            List<ContainerStack.Pod> survivors = stack.pods().stream()
                    .filter(p -> p.plan.workload().equals(workload) && p != victim).toList();
            double[] survivorsBefore = servedCalls(survivors);
            assertTrue(servedCalls(List.of(victim))[0] > 0, victim + " served calls before SIGTERM (the load reaches it)");
            double unavailableBefore = registryAnswers(registry, "UNAVAILABLE");
            ContainerStack.Termination end = stack.terminate(victim);
            int atExit = answered.get();
            awaitAnswered(answered, atExit + 20);
            stop.set(true);
            for (Thread caller : callers) {
                caller.join(60_000);
                assertFalse(caller.isAlive(), "a caller did not end within 60 s of the stop (a call past its 30 s deadline)");
            }
            double[] survivorsAfter = servedCalls(survivors);
            for (int i = 0; i < survivors.size(); i++) {
                assertTrue(survivorsAfter[i] > survivorsBefore[i], survivors.get(i) + " took the calls while " + victim + " stopped");
            }
            double unavailable = registryAnswers(registry, "UNAVAILABLE") - unavailableBefore;
            System.out.printf("[container-stack] round %d, SIGTERM %s under load: preStop %d ms, exit %d after %d ms, %d calls answered,"
                            + " %d failed, %.0f answered UNAVAILABLE by the registry%n", round, end.pod(), end.preStop().toMillis(),
                    end.exitCode(), end.termToExit().toMillis(), answered.get(), failures.size(), unavailable);
            assertEquals(List.of(), List.copyOf(failures), "no Classify call fails while " + victim + " stops (the caller retries nothing)");
            assertEquals(0.0, unavailable, "the registry answered no Classify UNAVAILABLE while " + victim + " stopped");
            assertFalse(end.killed(), victim + " exits within its grace period (" + victim.plan.terminationGraceSeconds() + " s), no SIGKILL");
            assertTrue(end.exitCode() == 0 || end.exitCode() == 143, victim + " exits cleanly on SIGTERM: " + end.exitCode());
            assertEquals(503, end.readinessAfterTerm(), victim + ": 1 s after SIGTERM, inside its shutdown delay, its readiness is DOWN");
            Duration delay = Duration.parse("PT" + victim.plan.env().get("AFFECT_SHUTDOWN_DELAY").toUpperCase());
            assertTrue(end.termToExit().compareTo(delay) >= 0, victim + " keeps serving for its shutdown delay (" + delay
                    + ") after SIGTERM while readiness is down: exited after " + end.termToExit().toMillis() + " ms");
        } finally {
            stop.set(true);  // whatever failed, no caller outlives the round
        }
    }

    @Test
    @Order(4)
    @Timeout(value = 120, unit = TimeUnit.MINUTES)
    void mixedTrafficKillsNoContainerForMemory() throws Exception {
        int minutes = Integer.getInteger("container-stack.soak-minutes", 1);
        var registry = stack.pods().stream().filter(p -> p.plan.workload().equals("support-registry")).findFirst().orElseThrow();
        List<String> args = new ArrayList<>(List.of("java", "-Xmx2g", "-jar", REPO.resolve("cli/target/quarkus-app/quarkus-run.jar").toString(),
                "bench-soak", "--registry", registry.address + ":" + registry.plan.port("http"), "--client-key", clientKey,
                "--taxonomy", TAXONOMY, "--store", store.toString(), "--minutes", Integer.toString(minutes),
                "--label", "containers", "--csv", WORK.resolve("soak.csv").toString()));
        if (minutes < 5) {
            args.addAll(List.of("--max-megapixels", "8", "--max-concurrency", "8", "--sample-seconds", "5"));
        }
        List<ContainerStack.Pod> sampled = stack.pods().stream().filter(p -> !p.plan.workload().equals("postgres")).toList();
        for (ContainerStack.Pod p : sampled) {
            args.addAll(List.of("--pid", p.name + "=" + stack.hostPid(p), "--limit-mib", p.name + "=" + (p.plan.memoryLimitBytes() >> 20)));
        }
        ProcessBuilder soak = new ProcessBuilder(args).redirectErrorStream(true).redirectOutput(WORK.resolve("soak.log").toFile());
        Process p = soak.start();
        if (!p.waitFor(minutes + 10L, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("bench-soak did not end within " + (minutes + 10) + " minutes");
        }
        String log = Files.readString(WORK.resolve("soak.log"));
        System.out.println(log.lines().filter(l -> !l.startsWith("t=")).reduce("", (a, b) -> a + b + "\n"));
        assertEquals(0, p.exitValue(), "bench-soak ran: " + log);
        // every service's plateau (largest RSS in the last third) at most 70 % of its manifest's limit
        List<String> summary = log.lines().dropWhile(l -> !l.startsWith("service ")).skip(1).takeWhile(l -> !l.startsWith("calls: ")).toList();
        assertEquals(sampled.size(), summary.size(), "one summary line per sampled container: " + summary);
        for (String row : summary) {
            String[] cells = row.trim().split("\\s+");
            int percent = Integer.parseInt(cells[cells.length - 2]);
            assertTrue(percent <= 70, "plateau at most 70 % of the pod limit: " + row);
        }
        Map<String, Long> calls = new java.util.TreeMap<>();
        String line = log.lines().filter(l -> l.startsWith("calls: {")).findFirst().orElseThrow();
        for (String entry : line.substring("calls: {".length(), line.length() - 1).split(", ")) {
            calls.put(entry.substring(0, entry.indexOf('=')), Long.parseLong(entry.substring(entry.indexOf('=') + 1)));
        }
        long total = calls.values().stream().mapToLong(Long::longValue).sum();
        // The suite's minute of tiny models stays inside capacity: 90 % answered. The stand-ins' real latency with up to 16
        // callers on 2 cores exceeds it, and bounded queues refuse the excess by design (20 minutes: 88 % answered,
        // docs/benchmarks.md): there only most calls must be answered, the rest refused as overload.
        double answered = "stand-in".equals(System.getProperty("container-stack.models")) ? 0.5 : 0.9;
        assertTrue(calls.getOrDefault("OK", 0L) >= answered * total, "at least " + (int) (answered * 100)
                + " % of the mixed traffic is answered: " + calls);
        // Overload may be refused. So may a call during a bundle swap that reaches a replica started after the SIGTERMs above:
        // it holds only the new bundle while the registry still re-embeds, and versions are never mixed (FAILED_PRECONDITION
        // saying so). Nothing else.
        java.util.Set<String> allowed = new java.util.HashSet<>(java.util.Set.of("OK", "RESOURCE_EXHAUSTED", "UNAVAILABLE", "DEADLINE_EXCEEDED"));
        if (log.lines().anyMatch(l -> l.startsWith("first FAILED_PRECONDITION:") && l.contains("re-embedding is in progress"))) {
            allowed.add("FAILED_PRECONDITION");
        }
        assertTrue(allowed.containsAll(calls.keySet()), "overload may be refused (RESOURCE_EXHAUSTED, UNAVAILABLE, DEADLINE_EXCEEDED), and a "
                + "swap answered FAILED_PRECONDITION while re-embedding; nothing else: " + calls + "\n" + log.lines()
                .filter(l -> l.startsWith("first ")).collect(java.util.stream.Collectors.joining("\n")));
        var client = GrpcTestChannels.withKey(ClassificationGrpc.newBlockingStub(channel(registry)), clientKey);
        String active = Files.readString(store.resolve("ACTIVE")).strip();
        assertTrue(active.endsWith("-soak2"), "the soak swapped the bundle twice: " + active);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!answerOf(client, 0).getModelVersion().equals(active)) {  // the registry re-embeds its supports first
            assertTrue(System.nanoTime() < deadline, "the containers serve the bundle swapped in last, " + active);
            Thread.sleep(500);
        }
        for (ContainerStack.Pod pod : stack.pods()) {
            assertTrue(stack.running(pod), pod + " still runs after the mixed traffic");
            assertFalse(stack.oomKilled(pod), pod + " was not killed for memory");
            assertEquals(0, pod.restarts(), pod + " was not restarted");
        }
    }

    private static void awaitAnswered(AtomicInteger answered, int atLeast) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (answered.get() < atLeast) {
            assertTrue(System.nanoTime() < deadline, "calls are answered (" + answered.get() + " < " + atLeast + ")");
            Thread.sleep(20);
        }
    }

    /** Calls each pod has answered (OK, any method but gRPC health), from its own metrics. */
    private static double[] servedCalls(List<ContainerStack.Pod> pods) throws Exception {
        double[] n = new double[pods.size()];
        for (int i = 0; i < n.length; i++) {
            ContainerStack.Pod p = pods.get(i);
            n[i] = PrometheusScrape.of("http://" + p.address + ":" + p.plan.port("management") + "/")
                    .named("grpc_server_processing_duration_seconds_count").stream()
                    .filter(sample -> sample.hasLabel("statusCode", "OK") && !sample.hasLabel("method", "Check"))
                    .mapToDouble(PrometheusScrape.Sample::value).sum();
        }
        return n;
    }

    /** Classify answers of one status the registry pod has given, from its own metrics. */
    private static double registryAnswers(ContainerStack.Pod registry, String status) throws Exception {
        return PrometheusScrape.of("http://" + registry.address + ":" + registry.plan.port("management") + "/")
                .value("grpc_server_processing_duration_seconds_count", "method", "Classify", "statusCode", status).orElse(0);
    }


    private static ManagedChannel channel(ContainerStack.Pod pod) {
        ManagedChannel c = ManagedChannelBuilder.forAddress(pod.address, pod.plan.port("http")).usePlaintext()
                .maxInboundMessageSize(64 << 20).build();
        channels.add(c);
        return c;
    }

    private static String exec(ContainerStack.Pod pod, String... command) {
        List<String> args = new ArrayList<>(List.of("exec", "affect-stack-" + pod.name));
        args.addAll(List.of(command));
        return new Podman(REPO).run(Duration.ofSeconds(30), args).output().strip();
    }

    private static Image image(byte[] data) {
        return Image.newBuilder().setData(ByteString.copyFrom(data)).build();
    }

    /** A scene whose colours stand for a class: background, person block. */
    private static BufferedImage scene(int variant) {
        Color[][] looks = {{Color.GREEN, Color.RED}, {Color.BLUE, Color.YELLOW}, {Color.DARK_GRAY, Color.WHITE}};
        Color[] look = looks[variant % looks.length];
        return TestImages.scene(160, 120, look[0], look[1], 40, 20, 110, 110);
    }

    /** The CPU overlay rendered now (kubectl kustomize) where kubectl is installed, else the committed rendering. */
    private static Path renderedCpuOverlay() throws Exception {
        Path committed = REPO.resolve("deploy/k8s/rendered/cpu.yaml");
        if (!KubernetesManifestsTest.kubectlInstalled()) {
            return committed;
        }
        Path fresh = WORK.resolve("cpu.yaml");
        run(Duration.ofMinutes(2), fresh, Map.of(), "kubectl", "kustomize", REPO.resolve("deploy/k8s/overlays/cpu").toString());
        return fresh;
    }

    private static void run(Duration timeout, Path output, Map<String, String> env, String... command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(REPO.toFile()).redirectErrorStream(true).redirectOutput(output.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not end within " + timeout);
        }
        String out = Files.readString(output);
        assertEquals(0, p.exitValue(), String.join(" ", command) + " failed:\n" + out.substring(Math.max(0, out.length() - 4000)));
    }

    /** The containers run as user 185: the model store and the volumes must be readable (and the work dirs writable). */
    private static void openToAll(Path dir) throws IOException {
        for (Path d = dir; d != null; d = d.getParent()) {
            d.toFile().setExecutable(true, false);
            d.toFile().setReadable(true, false);
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.toList()) {
                p.toFile().setReadable(true, false);
                if (Files.isDirectory(p)) {
                    p.toFile().setExecutable(true, false);
                    p.toFile().setWritable(true, false);
                }
            }
        }
    }
}
