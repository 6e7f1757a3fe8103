package org.affectdml.deploy.stack;

import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs the workloads of a {@link RenderedOverlay} as podman containers on the host network, the way a kubelet would
 * run their pods: image, command, args, environment, memory limit (no swap), volumes, non-root user; the startup,
 * readiness and liveness probes on their periods (a liveness failure restarts the container); the endpoints of every
 * Service as a hosts file mounted at /etc/hosts that lists the ready pods it selects (a headless Service's DNS); and
 * termination as Kubernetes does it: out of the endpoints, preStop, SIGTERM, SIGKILL at the end of the grace period.
 * <p>
 * Every pod has its own loopback address (127.0.1.N): on one host network that stands for the pod's own network
 * namespace, so the runner sets AFFECT_BIND_ADDRESS (and POSTGRES_LISTEN_ADDRESSES) to it where a cluster binds 0.0.0.0.
 */
public final class ContainerStack implements AutoCloseable {

    private static final String PREFIX = "affect-stack-";
    private final Podman podman;
    private final RenderedOverlay overlay;
    private final Path workDir;
    private final Map<String, Path> claims;
    private final Path hostsFile;
    private final List<Pod> pods = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService probes = Executors.newScheduledThreadPool(4, r -> {
        Thread t = new Thread(r, "probes");
        t.setDaemon(true);
        return t;
    });
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(1)).build();
    private int nextAddress = 10;
    private boolean closed;

    /**
     * @param claims the host directory of each PersistentVolumeClaim the pods mount (claim templates get a fresh
     *               directory per pod under workDir)
     */
    public ContainerStack(Podman podman, RenderedOverlay overlay, Path workDir, Map<String, Path> claims) throws IOException {
        this.podman = podman;
        this.overlay = overlay;
        this.workDir = Files.createDirectories(workDir);
        this.claims = claims;
        this.hostsFile = workDir.resolve("hosts");
        if (!overlay.unknownKinds().isEmpty()) {
            throw new IllegalArgumentException("the container runner does not know the kinds " + overlay.unknownKinds()
                    + ": carry them out here or list them as needing a cluster (RenderedOverlay.CLUSTER_ONLY)");
        }
        writeHosts();
        removeLeftovers();
        // containers outlive a test JVM that is stopped (a fork timeout): remove them then too
        Runtime.getRuntime().addShutdownHook(new Thread(this::close, "container-stack-cleanup"));
    }

    /** Starts the workload's replicas (as many as its manifest says). */
    public List<Pod> deploy(String workload) throws IOException {
        PodPlan plan = overlay.workload(workload);
        List<Pod> started = new ArrayList<>();
        for (int i = 0; i < plan.replicas(); i++) {
            started.add(start(plan, i));
        }
        return started;
    }

    public Pod start(PodPlan plan, int ordinal) throws IOException {
        String address = "127.0.1." + nextAddress++;
        Pod pod = new Pod(plan, plan.workload() + "-" + ordinal, address);
        List<String> args = new ArrayList<>(List.of("run", "-d", "--name", PREFIX + pod.name, "--hostname", pod.name,
                "-v", hostsFile + ":/etc/hosts:ro"));
        if (plan.memoryLimitBytes() != null) {
            args.addAll(List.of("--memory", Long.toString(plan.memoryLimitBytes()), "--memory-swap", Long.toString(plan.memoryLimitBytes())));
        }
        Map<String, String> env = new java.util.LinkedHashMap<>(plan.env());
        env.put("AFFECT_BIND_ADDRESS", address);
        env.put("POSTGRES_LISTEN_ADDRESSES", address);
        env.forEach((k, v) -> args.addAll(List.of("-e", k + "=" + v)));
        for (PodPlan.Mount m : plan.mounts()) {
            args.addAll(List.of("-v", volume(pod, m) + ":" + m.mountPath() + (m.readOnly() ? ":ro" : "")));
        }
        if (!plan.command().isEmpty()) {
            args.addAll(List.of("--entrypoint", plan.command().get(0)));
        }
        if (plan.runAsNonRoot()) {
            String user = podman.require(Duration.ofSeconds(30), "image", "inspect", "--format", "{{.Config.User}}", plan.image());
            if (user.isBlank() || user.equals("0") || user.startsWith("0:") || user.equals("root")) {
                throw new IllegalStateException(plan.workload() + " must run as non-root, but image " + plan.image() + " runs as root");
            }
        }
        args.add(plan.image());
        if (!plan.command().isEmpty()) {
            args.addAll(plan.command().subList(1, plan.command().size()));
        }
        args.addAll(plan.args());
        pod.startedNanos = System.nanoTime();
        podman.require(Duration.ofMinutes(2), args.toArray(String[]::new));
        pods.add(pod);
        startProbes(pod);
        return pod;
    }

    private String volume(Pod pod, PodPlan.Mount m) throws IOException {
        return switch (m.source()) {
            case CLAIM -> {
                Path dir = claims.get(m.sourceName());
                if (dir == null) {
                    throw new IllegalArgumentException(pod.name + " mounts claim " + m.sourceName() + ", which has no directory");
                }
                yield dir.toString();
            }
            case CLAIM_TEMPLATE, EMPTY_DIR -> {
                Path dir = Files.createDirectories(workDir.resolve("volumes").resolve(pod.name + "-" + m.volume()));
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
                yield dir.toString();
            }
            case CONFIG_MAP -> {
                Path dir = Files.createDirectories(workDir.resolve("config").resolve(m.sourceName()));
                for (var f : m.files().entrySet()) {
                    Files.writeString(dir.resolve(f.getKey()), f.getValue());
                }
                yield dir.toString();
            }
        };
    }

    /**
     * Probes the way a kubelet does: startup until it passes (restarting the container after failureThreshold
     * failures), then readiness and liveness, each on its period; a liveness failureThreshold restarts the container,
     * which starts over with its startup probe.
     */
    private void schedule(Pod pod, PodPlan.Probe probe, boolean startup) {
        if (probe == null) {
            return;
        }
        int generation = pod.generation;
        probes.schedule(new Runnable() {
            int failures;

            @Override
            public void run() {
                if (stopped(pod, generation)) {
                    return;
                }
                boolean ok = passes(pod, probe);
                if (stopped(pod, generation)) {  // terminate() or a restart began while the probe ran
                    return;
                }
                failures = ok ? 0 : failures + 1;
                if (startup) {
                    if (ok) {
                        pod.started = true;
                        schedule(pod, pod.plan.readiness(), false);
                        schedule(pod, pod.plan.liveness(), false);
                        return;
                    }
                    if (failures >= probe.failureThreshold()) {
                        restart(pod);
                        return;
                    }
                } else if (probe == pod.plan.readiness()) {
                    boolean ready = ok || (pod.ready && failures < probe.failureThreshold());
                    if (ready != pod.ready) {
                        pod.ready = ready;
                        if (ready && pod.readyNanos == 0) {
                            pod.readyNanos = System.nanoTime();
                        }
                        writeHostsQuietly();
                    }
                } else if (ok) {
                    pod.livenessPassed++;
                } else if (failures >= probe.failureThreshold()) {
                    restart(pod);
                    return;
                }
                probes.schedule(this, probe.periodSeconds(), TimeUnit.SECONDS);
            }
        }, probe.initialDelaySeconds(), TimeUnit.SECONDS);
    }

    private boolean stopped(Pod pod, int generation) {
        return pod.terminating || pod.generation != generation || !pods.contains(pod);
    }

    /** A container restart as the kubelet does it: out of the endpoints, stopped within its grace period, started again. */
    private synchronized void restart(Pod pod) {
        pod.generation++;
        pod.restarts++;
        pod.ready = false;
        pod.started = false;
        writeHostsQuietly();
        podman.run(Duration.ofSeconds(pod.plan.terminationGraceSeconds() + 30L), "restart", "-t",
                Integer.toString(pod.plan.terminationGraceSeconds()), PREFIX + pod.name);
        startProbes(pod);
    }

    /** The startup probe first; without one, readiness and liveness at once (a kubelet's order). */
    private void startProbes(Pod pod) {
        if (pod.plan.startup() != null) {
            schedule(pod, pod.plan.startup(), true);
        } else {
            pod.started = true;
            schedule(pod, pod.plan.readiness(), false);
            schedule(pod, pod.plan.liveness(), false);
        }
    }

    private boolean passes(Pod pod, PodPlan.Probe probe) {
        try {
            return switch (probe.kind()) {
                case HTTP -> {
                    int status = httpStatus(pod, probe);
                    yield status >= 200 && status < 400;
                }
                case GRPC -> {
                    ManagedChannel channel = ManagedChannelBuilder.forAddress(pod.address, probe.port()).usePlaintext().build();
                    try {
                        yield HealthGrpc.newBlockingStub(channel).withDeadlineAfter(probe.timeoutSeconds(), TimeUnit.SECONDS)
                                .check(HealthOuterClass.HealthCheckRequest.getDefaultInstance()).getStatus()
                                == HealthOuterClass.HealthCheckResponse.ServingStatus.SERVING;
                    } finally {
                        channel.shutdownNow();
                    }
                }
                case EXEC -> {
                    List<String> exec = new ArrayList<>(List.of("exec", PREFIX + pod.name));
                    exec.addAll(probe.command());
                    // podman exec's own start-up (about 0.3 s here) on top of the probe's timeout
                    yield podman.run(Duration.ofSeconds(probe.timeoutSeconds() + 5L), exec).exitCode() == 0;
                }
            };
        } catch (Exception e) {
            return false;
        }
    }

    private int httpStatus(Pod pod, PodPlan.Probe probe) throws IOException, InterruptedException {
        HttpRequest get = HttpRequest.newBuilder(URI.create("http://" + pod.address + ":" + probe.port() + probe.path()))
                .timeout(Duration.ofSeconds(probe.timeoutSeconds())).build();
        return http.send(get, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /** Waits until every pod is ready, failing with the logs of the ones that are not. */
    public void awaitReady(Collection<Pod> waitFor, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long nextRunningCheck = 0;
        while (System.nanoTime() < deadline) {
            if (waitFor.stream().allMatch(p -> p.ready)) {
                return;
            }
            if (System.nanoTime() > nextRunningCheck) {  // every 2 s: podman inspect costs CPU the starting JVMs need
                for (Pod p : waitFor) {
                    if (!running(p) && p.restarts == 0) {
                        throw new IllegalStateException(p.name + " exited before it was ready:\n" + logs(p, 40));
                    }
                }
                nextRunningCheck = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            }
            Thread.sleep(100);
        }
        StringBuilder why = new StringBuilder("not ready after " + timeout + ":");
        for (Pod p : waitFor) {
            if (!p.ready) {
                why.append("\n--- ").append(p.name).append(" (started: ").append(p.started).append(")\n").append(logs(p, 30));
            }
        }
        throw new IllegalStateException(why.toString());
    }

    /**
     * Stops a pod as Kubernetes does: it leaves the endpoints, its preStop sleep runs, then SIGTERM; SIGKILL if it
     * is still running when the termination grace period (counted from the start, preStop included) ends.
     */
    public Termination terminate(Pod pod) throws InterruptedException {
        long begin = System.nanoTime();
        pod.terminating = true;
        pod.ready = false;
        writeHostsQuietly();
        Thread.sleep(TimeUnit.SECONDS.toMillis(pod.plan.preStopSleepSeconds()));
        long termAt = System.nanoTime();
        podman.require(Duration.ofSeconds(30), "kill", "--signal", "TERM", PREFIX + pod.name);
        // what the pod's own readiness endpoint says 1 s after SIGTERM: during its shutdown delay it must say DOWN
        Thread.sleep(1000);
        int readinessAfterTerm = -1;
        if (pod.plan.readiness() != null && pod.plan.readiness().kind() == PodPlan.Probe.Kind.HTTP) {
            try {
                readinessAfterTerm = httpStatus(pod, pod.plan.readiness());
            } catch (IOException e) {
                readinessAfterTerm = 0;  // no longer listening
            }
        }
        long deadline = begin + TimeUnit.SECONDS.toNanos(pod.plan.terminationGraceSeconds());
        boolean killed = false;
        while (running(pod)) {
            if (System.nanoTime() > deadline) {
                podman.run(Duration.ofSeconds(30), "kill", "--signal", "KILL", PREFIX + pod.name);
                killed = true;
                break;
            }
            Thread.sleep(250);
        }
        long killDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (running(pod)) {
            if (System.nanoTime() > killDeadline) {
                throw new IllegalStateException(pod.name + " still runs 60 s after SIGKILL");
            }
            Thread.sleep(250);
        }
        long exitedAt = System.nanoTime();  // within 250 ms and one podman inspect of the exit
        pods.remove(pod);
        return new Termination(pod.name, Integer.parseInt(podman.inspect(PREFIX + pod.name, "{{.State.ExitCode}}")), killed,
                Duration.ofNanos(termAt - begin), Duration.ofNanos(exitedAt - termAt), readinessAfterTerm);
    }

    public boolean running(Pod pod) {
        return "true".equals(podman.run(Duration.ofSeconds(30), "inspect", "--format", "{{.State.Running}}", PREFIX + pod.name).output());
    }

    /** Whether the kernel's OOM killer ended the container (podman's record of it). */
    public boolean oomKilled(Pod pod) {
        return Boolean.parseBoolean(podman.inspect(PREFIX + pod.name, "{{.State.OOMKilled}}"));
    }

    /** The container's main process as the host sees it (for RSS sampling). */
    public long hostPid(Pod pod) {
        return Long.parseLong(podman.inspect(PREFIX + pod.name, "{{.State.Pid}}"));
    }

    public String logs(Pod pod, int lines) {
        return podman.run(Duration.ofSeconds(30), "logs", "--tail", Integer.toString(lines), PREFIX + pod.name).output();
    }

    public List<Pod> pods() {
        return List.copyOf(pods);
    }

    /** The endpoints: every Service name, then every pod's own name, with the addresses of the ready pods. */
    private synchronized void writeHosts() throws IOException {
        StringBuilder hosts = new StringBuilder("127.0.0.1 localhost\n");
        for (var service : overlay.serviceSelectors().entrySet()) {
            for (Pod p : pods) {
                if (p.ready && !p.terminating && p.plan.labels().entrySet().containsAll(service.getValue().entrySet())) {
                    hosts.append(p.address).append(' ').append(service.getKey()).append('\n');
                }
            }
        }
        for (Pod p : pods) {
            hosts.append(p.address).append(' ').append(p.name).append('\n');
        }
        // in place: the containers bind-mount this file, a rename would leave them the old one
        Files.writeString(hostsFile, hosts);
    }

    private void writeHostsQuietly() {
        try {
            writeHosts();
        } catch (IOException e) {
            throw new IllegalStateException("cannot write " + hostsFile, e);
        }
    }

    private void removeLeftovers() {
        String names = podman.run(Duration.ofSeconds(30), "ps", "-a", "--format", "{{.Names}}").output();
        for (String name : names.split("\n")) {
            if (name.startsWith(PREFIX)) {
                podman.run(Duration.ofSeconds(60), "rm", "-f", "-t", "1", name);
            }
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        probes.shutdownNow();
        for (Pod p : pods) {
            podman.run(Duration.ofSeconds(60), "rm", "-f", "-t", "2", PREFIX + p.name);
        }
        removeLeftovers();
    }

    /** One running replica. */
    public static final class Pod {
        public final PodPlan plan;
        public final String name;
        public final String address;
        volatile boolean started;
        volatile boolean ready;
        volatile boolean terminating;
        volatile long startedNanos;
        volatile long readyNanos;
        volatile int livenessPassed;
        volatile int restarts;
        /** Increases at every restart, so that the probes of the previous container stop. */
        volatile int generation;

        Pod(PodPlan plan, String name, String address) {
            this.plan = plan;
            this.name = name;
            this.address = address;
        }

        public boolean ready() {
            return ready;
        }

        public int livenessPassed() {
            return livenessPassed;
        }

        /** Restarts by a failing startup or liveness probe. */
        public int restarts() {
            return restarts;
        }

        /** From `podman run` to the first passing readiness probe (its period bounds the resolution). */
        public Duration startToReady() {
            return Duration.ofNanos(readyNanos - startedNanos);
        }

        @Override
        public String toString() {
            return name + "@" + address;
        }
    }

    /**
     * How a pod ended: its exit code, whether SIGKILL was needed, the preStop time, SIGTERM to exit, and the HTTP
     * status of its readiness endpoint 1 s after SIGTERM (0: not listening, -1: no HTTP readiness probe).
     */
    public record Termination(String pod, int exitCode, boolean killed, Duration preStop, Duration termToExit,
                              int readinessAfterTerm) {
    }
}
