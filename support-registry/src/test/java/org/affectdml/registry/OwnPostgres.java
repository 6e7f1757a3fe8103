package org.affectdml.registry;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL server of one test's own, for tests that stop or restart their database: initdb in a temporary
 * directory, a free port on 127.0.0.1, one database with pgvector, owned by the role the registry logs in as. The
 * shared server (deploy/local/postgres.sh) stays up for every other test. The server runs as the {@code postgres}
 * user, so this needs root and PostgreSQL's binaries (with pgvector); {@link #unavailableReason()} says what is
 * missing where they are not.
 */
final class OwnPostgres implements AutoCloseable {

    static final String USER = System.getenv().getOrDefault("AFFECT_DB_USER", "affect");
    static final String PASSWORD = System.getenv().getOrDefault("AFFECT_DB_PASSWORD", "affect");
    private static final long COMMAND_SECONDS = 60;

    private final Path bin;
    private final Path data;
    private final int port;
    private final String database;

    private OwnPostgres(Path bin, Path data, int port, String database) {
        this.bin = bin;
        this.data = data;
        this.port = port;
        this.database = database;
    }

    /** Why no server of its own can be started here, or empty when one can. */
    static Optional<String> unavailableReason() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return Optional.of("a PostgreSQL server of the test's own runs as user postgres, which needs root (deploy/local/test.sh runs as root)");
        }
        if (binaries().isEmpty()) {
            return Optional.of("no PostgreSQL binaries under /usr/lib/postgresql/*/bin (deploy/local/postgres.sh installs them)");
        }
        return Optional.empty();
    }

    /** A new server, started, with {@code database} (pgvector created) owned by {@link #USER}. */
    static OwnPostgres start(String database) throws Exception {
        unavailableReason().ifPresent(reason -> {
            throw new IllegalStateException(reason);
        });
        Path data = Files.createTempDirectory("affect-own-postgres");
        UserPrincipalLookupService users = data.getFileSystem().getUserPrincipalLookupService();
        Files.setOwner(data, users.lookupPrincipalByName("postgres"));
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        OwnPostgres pg = new OwnPostgres(binaries().get(), data, port, database);
        pg.asPostgres(pg.bin.resolve("initdb").toString(), "-D", data.resolve("cluster").toString(), "-U", "postgres", "--auth=trust",
                "--encoding=UTF8", "--locale=C.UTF-8");
        pg.startServer();
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres", "");
             Statement s = c.createStatement()) {
            s.execute("CREATE ROLE \"" + USER + "\" LOGIN PASSWORD '" + PASSWORD.replace("'", "''") + "'");
            s.execute("CREATE DATABASE \"" + database + "\" OWNER \"" + USER + "\"");
        }
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), "postgres", ""); Statement s = c.createStatement()) {
            s.execute("CREATE EXTENSION vector");
        }
        return pg;
    }

    String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl(), USER, PASSWORD);
    }

    /** Starts the server and waits until it accepts connections. */
    void startServer() throws IOException, InterruptedException {
        asPostgres(bin.resolve("pg_ctl").toString(), "-D", data.resolve("cluster").toString(), "-l", data.resolve("server.log").toString(),
                "-o", "-p " + port + " -k " + data + " -c listen_addresses=127.0.0.1", "-w", "-t", Long.toString(COMMAND_SECONDS), "start");
    }

    /** Stops the server as an operator would ({@code fast}: sessions are ended) and waits until it has. */
    void stopServer() throws IOException, InterruptedException {
        asPostgres(bin.resolve("pg_ctl").toString(), "-D", data.resolve("cluster").toString(), "-m", "fast", "-w",
                "-t", Long.toString(COMMAND_SECONDS), "stop");
    }

    @Override
    public void close() throws Exception {
        try {
            asPostgres(bin.resolve("pg_ctl").toString(), "-D", data.resolve("cluster").toString(), "-m", "immediate", "-w", "stop");
        } catch (IllegalStateException alreadyStopped) {
            // stopped by the test, or never started: nothing to stop
        } finally {
            try (Stream<Path> files = Files.walk(data)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private void asPostgres(String... command) throws IOException, InterruptedException {
        List<String> line = new ArrayList<>(List.of("runuser", "-u", "postgres", "--"));
        line.addAll(List.of(command));
        Process p = new ProcessBuilder(line).redirectErrorStream(true).start();
        if (!p.waitFor(COMMAND_SECONDS + 10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " did not end within " + (COMMAND_SECONDS + 10) + " s");
        }
        String out = new String(p.getInputStream().readAllBytes());
        if (p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " exited " + p.exitValue() + ": " + out.strip());
        }
    }

    /** The newest installed PostgreSQL's binaries. */
    private static Optional<Path> binaries() {
        try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
            return versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("initdb")) && Files.isExecutable(b.resolve("pg_ctl")))
                    .max(Comparator.comparing(b -> Integer.parseInt(b.getParent().getFileName().toString())));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }
}
