package org.affectdml.inference.bundle;

import org.affectdml.inference.testing.TinyModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.affectdml.inference.bundle.BundleTestSupport.LOADER;
import static org.affectdml.inference.bundle.BundleTestSupport.copyWithManifest;
import static org.affectdml.inference.bundle.BundleTestSupport.publishTinyDefault;
import static org.affectdml.inference.bundle.BundleTestSupport.withFile;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BundleVerificationTest {

    @TempDir
    Path tmp;

    private ModelStore store() {
        return new ModelStore(tmp.resolve("store"));
    }

    private static void assertRejected(String fragment, org.junit.jupiter.api.function.Executable load) {
        BundleException e = assertThrows(BundleException.class, load);
        assertTrue(e.getMessage().contains(fragment), "message was: " + e.getMessage());
    }

    @Test
    void defaultBundleIsPublishedWithAConsistentManifestAndVerifies() throws Exception {
        ModelStore store = store();
        String version = publishTinyDefault(store, tmp.resolve("src"));
        BundleManifest m = LOADER.verify(store.bundleDirectory(version));
        assertEquals(DefaultHead.KIND, m.headKind());
        assertEquals(128, m.embeddingDimension());
        // image and body encoder share one file; sem2vec width = segmenter classes = label count
        assertEquals(m.file(Roles.IMAGE_ENCODER).path(), m.file(Roles.BODY_ENCODER).path());
        assertEquals(TinyModels.SEGMENTER_CLASSES.size(), m.headInput(Roles.HEAD_SEM2VEC).lastDim());
        assertEquals(List.of(TensorSpec.of("logits", -1, 6, 8, 8)), m.file(Roles.SEGMENTER).outputs());
        assertEquals(Files.size(store.bundleDirectory(version).resolve("head.onnx")), m.file(Roles.HEAD).bytes());
    }

    @Test
    void assemblingTheSameInputsAgainFindsTheSameVersion() throws Exception {
        ModelStore store = store();
        String first = publishTinyDefault(store, tmp.resolve("src"));
        String second = publishTinyDefault(store, tmp.resolve("src"));
        assertEquals(first, second);
        assertEquals(1, store.list().size());
    }

    @Test
    void tamperedFileFailsItsChecksum() throws Exception {
        ModelStore store = store();
        String version = publishTinyDefault(store, tmp.resolve("src"));
        Path head = store.bundleDirectory(version).resolve("head.onnx");
        byte[] bytes = Files.readAllBytes(head);
        bytes[bytes.length - 1] ^= 1;
        Files.write(head, bytes);
        assertRejected("head.onnx (head) has sha256", () -> LOADER.verify(store.bundleDirectory(version)));
    }

    @Test
    void eachFileIsHashedOncePerProcessUntilItChanges() throws Exception {
        ModelStore store = store();
        String version = publishTinyDefault(store, tmp.resolve("src"));
        Path dir = store.bundleDirectory(version);
        Path head = dir.resolve("head.onnx");
        Files.setLastModifiedTime(head, java.nio.file.attribute.FileTime.fromMillis(1_000_000_000_000L));  // new to this process
        long start = FileDigests.computed();
        BundleManifest m = LOADER.verify(dir);
        long first = FileDigests.computed() - start;
        long files = m.files().values().stream().map(ModelFile::path).distinct().count();
        assertTrue(first >= 1 && first < m.files().size() && first <= files,
                "each file read at most once (both encoder roles name one file): " + first + " of " + m.files().keySet());
        LOADER.verify(dir);
        assertEquals(first, FileDigests.computed() - start, "a second verification reads no file again");

        // changed in place, same size, its modification time set back: the change time still tells, it is read again
        byte[] bytes = Files.readAllBytes(head);
        bytes[bytes.length - 1] ^= 1;
        var modified = Files.getLastModifiedTime(head);
        Files.write(head, bytes);
        Files.setLastModifiedTime(head, modified);
        assertRejected("head.onnx (head) has sha256", () -> LOADER.verify(dir));
    }

    @Test
    void wrongTensorNameIsRejectedNamingWhatTheModelHas() throws Exception {
        ModelStore store = store();
        String version = publishTinyDefault(store, tmp.resolve("src"));
        String broken = copyWithManifest(store, version, "renamed-output", m -> {
            ModelFile enc = m.file(Roles.IMAGE_ENCODER);
            return withFile(m, Roles.IMAGE_ENCODER, new ModelFile(enc.path(), enc.sha256(), enc.bytes(), enc.inputs(),
                    List.of(TensorSpec.of("pooled", -1, TinyModels.FEATURES)), enc.preprocessing()));
        });
        assertRejected("no output named 'pooled'", () -> LOADER.verify(store.bundleDirectory(broken)));
    }

    @Test
    void headInputThatDoesNotFitTheEncoderIsRejected() throws Exception {
        ModelStore store = store();
        String version = publishTinyDefault(store, tmp.resolve("src"));
        String broken = copyWithManifest(store, version, "bad-head-dims", m -> {
            ModelFile head = m.file(Roles.HEAD);
            return withFile(m, Roles.HEAD, new ModelFile(head.path(), head.sha256(), head.bytes(),
                    List.of(TensorSpec.of(Roles.HEAD_IMAGE_FEATURES, -1, 512), head.inputs().get(1), head.inputs().get(2)),
                    head.outputs(), null));
        });
        assertRejected("head input image_features[-1, 512] must be [N, 48]", () -> LOADER.verify(store.bundleDirectory(broken)));
    }

    @Test
    void embeddingDimensionMustMatchTheHeadOutput() throws Exception {
        ModelStore store = store();
        String version = publishTinyDefault(store, tmp.resolve("src"));
        String broken = copyWithManifest(store, version, "bad-dim", m -> new BundleManifest(m.format(), m.version(), m.created(),
                m.parent(), m.description(), m.headKind(), 64, null, null, null, null, null, m.files()));
        assertRejected("does not match embedding_dimension 64", () -> LOADER.verify(store.bundleDirectory(broken)));
    }

    @Test
    void missingFileIsNamed() throws Exception {
        ModelStore store = store();
        String version = publishTinyDefault(store, tmp.resolve("src"));
        Files.delete(store.bundleDirectory(version).resolve("segmenter.onnx"));
        assertRejected("file of role 'segmenter' is missing: segmenter.onnx", () -> LOADER.verify(store.bundleDirectory(version)));
    }

    @Test
    void fileOutsideTheBundleIsRefused() throws Exception {
        ModelStore store = store();
        String version = publishTinyDefault(store, tmp.resolve("src"));
        String broken = copyWithManifest(store, version, "escape", m -> {
            ModelFile head = m.file(Roles.HEAD);
            return withFile(m, Roles.HEAD, new ModelFile("../" + version + "/head.onnx", head.sha256(), head.bytes(),
                    head.inputs(), head.outputs(), null));
        });
        assertRejected("lies outside the bundle", () -> LOADER.verify(store.bundleDirectory(broken)));
    }

    @Test
    void activationVerifiesFirstAndABrokenBundleNeverBecomesActive() throws Exception {
        ModelStore store = store();
        String good = publishTinyDefault(store, tmp.resolve("src"));
        store.activate(good, LOADER);
        String broken = copyWithManifest(store, good, "broken", m -> new BundleManifest(m.format(), m.version(), m.created(),
                m.parent(), m.description(), m.headKind(), 7, null, null, null, null, null, m.files()));
        assertThrows(BundleException.class, () -> store.activate(broken, LOADER));
        assertEquals(good, store.activeVersion().orElseThrow());
    }

    @Test
    void loadOpensOnlyTheRolesAskedFor() throws Exception {
        ModelStore store = store();
        String version = publishTinyDefault(store, tmp.resolve("src"));
        try (LoadedBundle b = LOADER.load(store.bundleDirectory(version), Set.of(Roles.SEGMENTER))) {
            assertEquals(Set.of(Roles.SEGMENTER), b.openRoles());
            assertEquals(TinyModels.SEGMENTER_CLASSES, b.segmenterLabels());
            assertFalse(b.hasSession(Roles.HEAD));
        }
    }
}
