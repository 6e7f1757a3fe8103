package org.affectdml.inference.bundle;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The directory the trainer publishes to and the services load from:
 * <pre>
 *   STORE/bundles/VERSION/manifest.json + files   one directory per published bundle, never changed again
 *   STORE/ACTIVE                                  the active version's name, replaced atomically
 * </pre>
 * Publishing writes under a temporary name, verifies, then renames; activation rewrites ACTIVE by an
 * atomic rename. Readers therefore never see a half-written bundle or pointer.
 */
public final class ModelStore {

    public static final String ACTIVE_FILE = "ACTIVE";
    private static final String BUNDLES = "bundles";
    private static final String TMP_PREFIX = ".tmp-";

    private final Path root;

    public ModelStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    public Path bundleDirectory(String version) {
        if (!BundleManifest.VERSION_PATTERN.matcher(version).matches()) {
            throw new BundleException("'" + version + "' is not a valid bundle version name");
        }
        return root.resolve(BUNDLES).resolve(version);
    }

    public boolean contains(String version) {
        return Files.isRegularFile(bundleDirectory(version).resolve(BundleManifest.FILE_NAME));
    }

    /** The active version, empty when none was ever activated. */
    public Optional<String> activeVersion() {
        Path pointer = root.resolve(ACTIVE_FILE);
        try {
            if (!Files.isRegularFile(pointer)) {
                return Optional.empty();
            }
            String version = Files.readString(pointer, StandardCharsets.UTF_8).strip();
            return version.isEmpty() ? Optional.empty() : Optional.of(version);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + pointer, e);
        }
    }

    /** Manifests of all published bundles, newest first. Unreadable ones are skipped. */
    public List<BundleManifest> list() throws IOException {
        Path bundles = root.resolve(BUNDLES);
        if (!Files.isDirectory(bundles)) {
            return List.of();
        }
        List<BundleManifest> manifests = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(bundles)) {
            for (Path dir : dirs.filter(Files::isDirectory).filter(d -> !d.getFileName().toString().startsWith(TMP_PREFIX)).toList()) {
                try {
                    manifests.add(Manifests.read(dir));
                } catch (IOException | BundleException e) {
                    // a directory that is not a bundle is not listed; it can never be activated either
                }
            }
        }
        manifests.sort(Comparator.comparing((BundleManifest m) -> m.created() == null ? "" : m.created()).reversed());
        return manifests;
    }

    /** A fresh directory inside the store to assemble a bundle in; pass it to {@link #publish}. */
    public Path newStagingDirectory() throws IOException {
        Path bundles = Files.createDirectories(root.resolve(BUNDLES));
        return Files.createDirectory(bundles.resolve(TMP_PREFIX + UUID.randomUUID()));
    }

    /**
     * Verifies a staged bundle and renames it to its version's directory. A version that exists already
     * is an error (published bundles are immutable); a bundle that fails verification is deleted.
     */
    public Path publish(Path staging, BundleLoader verifier) throws IOException {
        BundleManifest manifest;
        try {
            manifest = verifier.verify(staging);
        } catch (RuntimeException | IOException e) {
            deleteRecursively(staging);
            throw e;
        }
        Path target = bundleDirectory(manifest.version());
        if (Files.exists(target)) {
            deleteRecursively(staging);
            throw new FileAlreadyExistsException(target.toString(), null, "bundle version " + manifest.version() + " is already published");
        }
        moveAtomically(staging, target);
        return target;
    }

    /**
     * Publishes the files of bundle {@code version} again as {@code newVersion} (its parent: {@code version}): the
     * same models under a new version, which services load as a new bundle (rollout rehearsals, soak benchmarks).
     */
    public Path publishCopy(String version, String newVersion, BundleLoader verifier) throws IOException {
        Path staging = newStagingDirectory();
        try (var files = Files.list(bundleDirectory(version))) {
            for (Path f : files.toList()) {
                Files.copy(f, staging.resolve(f.getFileName()));
            }
        }
        BundleManifest m = Manifests.read(staging);
        Manifests.write(new BundleManifest(m.format(), newVersion, java.time.Instant.now().toString(), version, m.description(), m.headKind(),
                m.embeddingDimension(), m.dataset(), m.protocol(), m.variant(), m.hyperparameters(), m.metrics(), m.files()), staging);
        return publish(staging, verifier);
    }

    /** Verifies the published bundle and makes it the active one. */
    public BundleManifest activate(String version, BundleLoader verifier) throws IOException {
        if (!contains(version)) {
            throw new BundleException("no bundle " + version + " in " + root.resolve(BUNDLES));
        }
        BundleManifest manifest = verifier.verify(bundleDirectory(version));
        Path tmp = root.resolve(ACTIVE_FILE + TMP_PREFIX + UUID.randomUUID());
        Files.writeString(tmp, version + "\n", StandardCharsets.UTF_8);
        moveAtomically(tmp, root.resolve(ACTIVE_FILE));
        return manifest;
    }

    private static void moveAtomically(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the model store's file system cannot rename atomically (" + from + " -> " + to + ")", e);
        }
    }

    public static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
