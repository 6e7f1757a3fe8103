package org.affectdml.inference.bundle;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.affectdml.inference.bundle.BundleTestSupport.LOADER;
import static org.affectdml.inference.bundle.BundleTestSupport.publishTinyDefault;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Fetching a bundle archive from a real local HTTP server. */
class BundleFetcherTest {

    @TempDir
    Path tmp;
    private HttpServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    private URI serve(String path, byte[] body) throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            if (exchange.getRequestURI().getPath().equals(path)) {
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            } else {
                exchange.sendResponseHeaders(404, -1);
            }
            exchange.close();
        });
        server.start();
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    /** The bundle directory zipped inside one folder, as a release asset usually is. */
    private static byte[] zip(Path bundleDir, String folder) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes); var files = Files.list(bundleDir)) {
            for (Path f : files.toList()) {
                zip.putNextEntry(new ZipEntry(folder + f.getFileName()));
                zip.write(Files.readAllBytes(f));
                zip.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    private String publishedElsewhere() throws Exception {
        return publishTinyDefault(new ModelStore(tmp.resolve("origin")), tmp.resolve("src"));
    }

    @Test
    void fetchesVerifiesAndPublishesFromHttp() throws Exception {
        String version = publishedElsewhere();
        byte[] archive = zip(new ModelStore(tmp.resolve("origin")).bundleDirectory(version), version + "/");
        URI url = serve("/bundles/" + version + ".zip", archive);
        ModelStore target = new ModelStore(tmp.resolve("target"));
        Path dir = new BundleFetcher(1 << 24).fetch(url, Sha256.of(archive), target, LOADER);
        assertEquals(target.bundleDirectory(version), dir);
        assertEquals(version, LOADER.verify(dir).version());
        target.activate(version, LOADER);
        assertEquals(version, target.activeVersion().orElseThrow());
    }

    @Test
    void wrongChecksumPublishesNothing() throws Exception {
        String version = publishedElsewhere();
        byte[] archive = zip(new ModelStore(tmp.resolve("origin")).bundleDirectory(version), "");
        URI url = serve("/b.zip", archive);
        ModelStore target = new ModelStore(tmp.resolve("target"));
        BundleException e = assertThrows(BundleException.class,
                () -> new BundleFetcher(1 << 24).fetch(url, "a".repeat(64), target, LOADER));
        assertTrue(e.getMessage().contains("expected " + "a".repeat(64)), e.getMessage());
        assertFalse(target.contains(version));
        assertTrue(target.list().isEmpty());
    }

    @Test
    void httpErrorIsReported() throws Exception {
        URI url = serve("/present.zip", new byte[]{1});
        ModelStore target = new ModelStore(tmp.resolve("target"));
        var e = assertThrows(java.io.IOException.class,
                () -> new BundleFetcher(1 << 24).fetch(url.resolve("/missing.zip"), "a".repeat(64), target, LOADER));
        assertTrue(e.getMessage().contains("HTTP 404"), e.getMessage());
    }

    @Test
    void archiveEntriesEscapingTheBundleAreRefused() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            zip.putNextEntry(new ZipEntry("../../evil.txt"));
            zip.write(1);
            zip.closeEntry();
        }
        byte[] archive = bytes.toByteArray();
        URI url = serve("/evil.zip", archive);
        ModelStore target = new ModelStore(tmp.resolve("target"));
        BundleException e = assertThrows(BundleException.class,
                () -> new BundleFetcher(1 << 24).fetch(url, Sha256.of(archive), target, LOADER));
        assertTrue(e.getMessage().contains("outside the bundle"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("evil.txt")));
    }
}
