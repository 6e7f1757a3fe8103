package org.affectdml.inference.bundle;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Brings a bundle published as a zip archive (manifest.json at the top level, or inside one folder)
 * from an http(s) or file URL into the store: download, check the archive's sha256, unpack (rejecting
 * entries that would escape the target), verify, publish. Nothing is published unless all of it passed.
 */
public final class BundleFetcher {

    /** Archives above this size are refused while downloading (bundles are ~100 MB with ResNet-50 heads). */
    public static final long DEFAULT_MAX_ARCHIVE_BYTES = 4L * 1024 * 1024 * 1024;

    private final HttpClient http;
    private final long maxArchiveBytes;

    public BundleFetcher(long maxArchiveBytes) {
        this.http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(30)).build();
        this.maxArchiveBytes = maxArchiveBytes;
    }

    public Path fetch(URI url, String expectedSha256, ModelStore store, BundleLoader verifier) throws IOException, InterruptedException {
        if (!Sha256.isValid(expectedSha256)) {
            throw new BundleException("a bundle URL needs the archive's sha256 (64 lower-case hex digits), got '" + expectedSha256 + "'");
        }
        Path staging = store.newStagingDirectory();
        Path archive = Files.createTempFile(store.root(), ".download-", ".zip");
        try {
            String actual = download(url, archive);
            if (!actual.equals(expectedSha256)) {
                throw new BundleException(url + " has sha256 " + actual + ", expected " + expectedSha256);
            }
            Path bundleDir = unzip(archive, staging);
            if (!bundleDir.equals(staging)) {
                // The archive wrapped the bundle in one folder: stage that folder instead.
                Path unwrapped = store.newStagingDirectory();
                Files.delete(unwrapped);
                Files.move(bundleDir, unwrapped);
                ModelStore.deleteRecursively(staging);
                staging = unwrapped;
            }
            return store.publish(staging, verifier);
        } catch (IOException | RuntimeException | InterruptedException e) {
            ModelStore.deleteRecursively(staging);
            throw e;
        } finally {
            Files.deleteIfExists(archive);
        }
    }

    private String download(URI url, Path target) throws IOException, InterruptedException {
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase();
        MessageDigest digest = Sha256.newDigest();
        InputStream body;
        if (scheme.equals("http") || scheme.equals("https")) {
            HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(url).timeout(Duration.ofMinutes(30)).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            if (response.statusCode() != 200) {
                response.body().close();
                throw new IOException("GET " + url + " answered HTTP " + response.statusCode());
            }
            body = response.body();
        } else if (scheme.equals("file")) {
            body = Files.newInputStream(Path.of(url));
        } else {
            throw new BundleException("bundle URL must be http, https or file, got " + url);
        }
        long total = 0;
        try (InputStream in = new DigestInputStream(body, digest); OutputStream out = Files.newOutputStream(target)) {
            byte[] buffer = new byte[1 << 16];
            int n;
            while ((n = in.read(buffer)) > 0) {
                total += n;
                if (total > maxArchiveBytes) {
                    throw new BundleException(url + " is larger than the limit of " + maxArchiveBytes + " bytes");
                }
                out.write(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** Unpacks and returns the directory holding manifest.json (the target or its single sub-folder). */
    static Path unzip(Path archive, Path target) throws IOException {
        try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(archive))) {
            ZipEntry entry;
            while ((entry = zip.getNextEntry()) != null) {
                Path out = target.resolve(entry.getName()).normalize();
                if (!out.startsWith(target)) {
                    throw new BundleException("archive entry '" + entry.getName() + "' would be written outside the bundle");
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(out);
                } else {
                    Files.createDirectories(out.getParent());
                    Files.copy(zip, out);
                }
            }
        }
        if (Files.isRegularFile(target.resolve(BundleManifest.FILE_NAME))) {
            return target;
        }
        try (var children = Files.list(target)) {
            var dirs = children.filter(Files::isDirectory).toList();
            if (dirs.size() == 1 && Files.isRegularFile(dirs.get(0).resolve(BundleManifest.FILE_NAME))) {
                return dirs.get(0);
            }
        }
        throw new BundleException("the archive holds no " + BundleManifest.FILE_NAME + " at its top level or in one folder");
    }
}
