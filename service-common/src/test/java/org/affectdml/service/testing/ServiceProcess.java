package org.affectdml.service.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A packaged service started as a real process on a free port, ready once /q/health/ready answers 200. */
public final class ServiceProcess implements AutoCloseable {

    /** The service key every started service accepts and presents; the same as the %test profile's. */
    public static final String SERVICE_KEY = "test-service-key";

    private final Process process;
    private final Path log;
    public final String host;
    public final int port;
    /** The management interface's port: health and metrics ({@link #managementUrl()}). */
    public final int managementPort;
    private volatile long readyAtNanos;

    private ServiceProcess(Process process, Path log, String host, int port, int managementPort) {
        this.process = process;
        this.log = log;
        this.host = host;
        this.port = port;
        this.managementPort = managementPort;
    }

    /** Base URL of the management interface (/q/health, /q/metrics), e.g. for {@link PrometheusScrape#of}. */
    public String managementUrl() {
        return "http://" + host + ":" + managementPort + "/";
    }

    /**
     * The module's packaged application, found from a sibling module's directory: its quarkus-run.jar, or with
     * {@code -Daffect.test.native=true} its native executable ({@code target/*-runner}, built with -Pnative); null when
     * not built. A package older than the sources or pom of the module, or of a module of this repository it bundles
     * (its {@code lib/main/org.affectdml.*} jars), is refused: the test would run another build than the one under
     * test (rebuild it, e.g. {@code ./mvnw -pl <this module> -am verify}).
     */
    public static Path packagedApp(String module) {
        return packagedApp(Path.of(".."), module);
    }

    /** {@link #packagedApp(String)} with the modules under {@code modules} (the repository root). */
    public static Path packagedApp(Path modules, String module) {
        Path target = modules.resolve(module).resolve("target");
        Path app;
        if (Boolean.getBoolean("affect.test.native")) {
            try (var files = Files.exists(target) ? Files.list(target) : java.util.stream.Stream.<Path>empty()) {
                app = files.filter(f -> f.getFileName().toString().endsWith("-runner") && Files.isExecutable(f)).findFirst().orElse(null);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        } else {
            Path jar = target.resolve("quarkus-app").resolve("quarkus-run.jar");
            app = Files.isRegularFile(jar) ? jar : null;
        }
        if (app == null) {
            return null;
        }
        List<String> built = new ArrayList<>(List.of(module));
        built.addAll(bundledModules(app));
        for (String part : built) {
            requireNotStale(modules.resolve(part), module, app);
        }
        return app.toAbsolutePath().normalize();
    }

    /** The modules of this repository packed into a JVM package: lib/main/org.affectdml.MODULE-VERSION.jar. */
    private static List<String> bundledModules(Path app) {
        Path libraries = app.resolveSibling("lib").resolve("main");
        if (!Files.isDirectory(libraries)) {
            return List.of();  // a native executable has no library directory
        }
        java.util.regex.Pattern ours = java.util.regex.Pattern.compile("org\\.affectdml\\.(.+)-[0-9][^-]*(-SNAPSHOT)?\\.jar");
        try (var files = Files.list(libraries)) {
            return files.map(f -> ours.matcher(f.getFileName().toString())).filter(java.util.regex.Matcher::matches)
                    .map(m -> m.group(1)).toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void requireNotStale(Path moduleDir, String module, Path app) {
        if (!Files.isDirectory(moduleDir)) {
            return;  // a bundled artifact whose module is not in this checkout
        }
        try {
            java.nio.file.attribute.FileTime built = Files.getLastModifiedTime(app);
            List<Path> sources = new ArrayList<>(List.of(moduleDir.resolve("pom.xml")));
            if (Files.isDirectory(moduleDir.resolve("src/main"))) {
                try (var walk = Files.walk(moduleDir.resolve("src/main"))) {
                    walk.filter(Files::isRegularFile).forEach(sources::add);
                }
            }
            for (Path source : sources) {
                if (Files.getLastModifiedTime(source).compareTo(built) > 0) {
                    throw new IllegalStateException(module + "'s package " + app.normalize() + " is older than " + source.normalize()
                            + ": rebuild it (./mvnw -pl <this module> -am verify) so the test runs the code under test");
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * The module's packaged application. A test module that starts another service declares it as a test-scoped
     * {@code <type>pom</type>} dependency, so Maven packages it first ({@code ./mvnw -pl <module> -am verify});
     * a missing package is therefore a broken build, not a reason to skip.
     */
    public static Path requirePackagedApp(String module) {
        Path jar = packagedApp(module);
        if (jar == null) {
            throw new IllegalStateException(module + " is not packaged: build it with this module, e.g. "
                    + "`./mvnw -pl <this module> -am verify` (it is a declared test dependency)");
        }
        return jar;
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Starts the packaged application ({@link #packagedApp}: a quarkus-run.jar or a native executable). */
    public static ServiceProcess start(Path app, Map<String, String> properties, Path logDir) throws Exception {
        return start(app, properties, logDir, "127.0.0.1", freePort(), List.of());
    }

    /**
     * Starts it listening on {@code host:port} only (replicas on 127.0.0.2, .3, ... can share a port, as pods behind
     * one name do), with extra JVM options (e.g. -Djdk.net.hosts.file).
     */
    public static ServiceProcess start(Path app, Map<String, String> properties, Path logDir, String host, int port,
                                       List<String> jvmOptions) throws Exception {
        boolean nativeExecutable = !app.toString().endsWith(".jar");
        List<String> command = new ArrayList<>(nativeExecutable ? List.of(app.toString())
                : List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m"));
        command.addAll(jvmOptions);
        command.add("-Dquarkus.http.port=" + port);
        int managementPort = freePort();
        command.add("-Dquarkus.management.port=" + managementPort);
        command.add("-Dquarkus.management.host=" + host);
        if (!"127.0.0.1".equals(host)) {
            command.add("-Dquarkus.http.host=" + host);
        }
        properties.forEach((k, v) -> command.add("-D" + k + "=" + v));
        if (!nativeExecutable) {
            command.addAll(List.of("-jar", app.toString()));
        }
        Files.createDirectories(logDir);
        Path module = nativeExecutable ? app.getParent().getParent() : app.getParent().getParent().getParent();
        Path log = logDir.resolve(module.getFileName() + "-" + host + "-" + port + ".log");
        // appended: a replica restarted on the same address keeps the log of its previous run above the new one
        ProcessBuilder builder = new ProcessBuilder(command);
        // One service key for every service of a test, as the pods of one deployment share it, whatever the shell
        // exported (deploy/local/env.sh generates one); a -D property still overrides it.
        builder.environment().put("AFFECT_SERVICE_KEYS", SERVICE_KEY);
        // glibc's malloc arenas bounded as the images and the local scripts run the services (docs/operations.md)
        builder.environment().putIfAbsent("MALLOC_ARENA_MAX", "2");
        builder.environment().put("AFFECT_SERVICE_KEY", SERVICE_KEY);
        Process process = builder.redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        // a test JVM stopped from outside (a cancelled build) takes its services with it, instead of leaving them to hold
        // ports, leases and database connections for the next run
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroy, "stop " + module.getFileName()));
        ServiceProcess service = new ServiceProcess(process, log, host, port, managementPort);
        service.awaitReady(Duration.ofSeconds(90));
        return service;
    }

    private void awaitReady(Duration timeout) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("service exited with " + process.exitValue() + "; log:\n" + Files.readString(log));
            }
            try {
                var r = http.send(HttpRequest.newBuilder(URI.create(managementUrl() + "q/health/ready")).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    readyAtNanos = System.nanoTime();
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(50);
        }
        close();
        throw new IllegalStateException("service not ready after " + timeout + "; log:\n" + Files.readString(log));
    }

    /** {@link System#nanoTime()} when the readiness check first answered 200 (polled every 50 ms). */
    public long readyAtNanos() {
        return readyAtNanos;
    }

    /** The operating system's id of the process (for /proc readings such as its resident memory). */
    public long pid() {
        return process.pid();
    }

    /** Sends SIGKILL: the process dies at once, its calls in flight and its connections cut. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
    }

    /** The file the process's stdout and stderr go to. */
    public Path logFile() {
        return log;
    }

    /** Sends SIGTERM (what Kubernetes does first) and returns at once; the service shuts down gracefully. */
    public void terminate() {
        process.destroy();
    }

    /** Waits for the process to exit; its exit code, or -1 if it still runs after the timeout. */
    public int awaitExit(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    }

    /** Whether the process still runs. */
    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
