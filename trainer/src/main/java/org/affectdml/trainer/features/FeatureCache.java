package org.affectdml.trainer.features;

import org.affectdml.inference.bundle.AtomicFiles;
import org.affectdml.inference.bundle.BundleManifest;
import org.affectdml.inference.bundle.ModelFile;
import org.affectdml.inference.bundle.Roles;
import org.affectdml.inference.bundle.Sha256;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Per-person encoder outputs on disk, keyed by the models (sha256 and preprocessing of both encoders and the
 * segmenter, and the Sem2Vec threshold), the image content (sha256) and the box. A new bundle with other
 * encoders gets a new directory; the same image and box under the same models is never computed twice.
 * Entries are written to a temporary file and moved into place, so a crash leaves no half-written entry.
 */
public final class FeatureCache {

    private static final int MAGIC = 0xAFFEC7D1;
    private final Path directory;

    private FeatureCache(Path directory) {
        this.directory = directory;
    }

    public static FeatureCache open(Path root, BundleManifest bundle, double minPixelFraction) throws IOException {
        return new FeatureCache(Files.createDirectories(root.resolve(modelKey(bundle, minPixelFraction))));
    }

    public Path directory() {
        return directory;
    }

    /** The models part of the key: everything of the bundle that changes an encoder output. */
    static String modelKey(BundleManifest bundle, double minPixelFraction) {
        StringBuilder b = new StringBuilder("features-v1");
        for (String role : new String[]{Roles.IMAGE_ENCODER, Roles.BODY_ENCODER, Roles.SEGMENTER}) {
            ModelFile f = bundle.file(role);
            b.append('|').append(role).append('=').append(f.sha256()).append(',').append(f.preprocessing())
                    .append(',').append(f.outputs().get(0).name());
        }
        b.append("|min_pixel_fraction=").append(minPixelFraction);
        return Sha256.of(b.toString().getBytes(StandardCharsets.UTF_8)).substring(0, 24);
    }

    static String entryKey(String imageSha256, float[] box) {
        return imageSha256 + String.format(Locale.ROOT, "_%.1f_%.1f_%.1f_%.1f", box[0], box[1], box[2], box[3]);
    }

    private Path entry(String imageSha256, float[] box) {
        return directory.resolve(imageSha256.substring(0, 2)).resolve(entryKey(imageSha256, box) + ".f32");
    }

    /** The cached features, or null when absent (or unreadable: then they are recomputed and rewritten). */
    public PersonFeatures get(String imageSha256, float[] box) {
        try (InputStream raw = Files.newInputStream(entry(imageSha256, box)); DataInputStream in = new DataInputStream(raw)) {
            if (in.readInt() != MAGIC) {
                return null;
            }
            return new PersonFeatures(read(in), read(in), read(in));
        } catch (IOException e) {
            return null;  // absent (NoSuchFileException) or truncated: recompute
        }
    }

    public void put(String imageSha256, float[] box, PersonFeatures features) throws IOException {
        Path target = entry(imageSha256, box);
        Files.createDirectories(target.getParent());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(MAGIC);
            write(out, features.image());
            write(out, features.body());
            write(out, features.sem2vec());
        }
        AtomicFiles.write(target, bytes.toByteArray());
    }

    private static float[] read(DataInputStream in) throws IOException {
        float[] v = new float[in.readInt()];
        for (int i = 0; i < v.length; i++) {
            v[i] = in.readFloat();
        }
        return v;
    }

    private static void write(DataOutputStream out, float[] v) throws IOException {
        out.writeInt(v.length);
        for (float x : v) {
            out.writeFloat(x);
        }
    }
}
