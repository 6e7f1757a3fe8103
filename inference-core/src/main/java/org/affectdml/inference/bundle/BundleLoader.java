package org.affectdml.inference.bundle;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import org.affectdml.inference.image.Preprocessing;
import org.affectdml.inference.onnx.ImageModelRunner;
import org.affectdml.inference.onnx.OrtSessionFactory;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Verifies a bundle directory and opens the ONNX sessions a process needs. Nothing is returned unless
 * every check passed, so a broken bundle can never become the one that serves:
 * <ol>
 *   <li>the manifest: format, version name, the roles the head needs, consistent dimensions
 *       (encoder outputs = head inputs, segmenter classes = Sem2Vec width = label count, head output =
 *       embedding dimension);</li>
 *   <li>every file: inside the bundle, size and sha256 as declared;</li>
 *   <li>every opened ONNX model: the declared input and output names exist with compatible shapes, and
 *       one run on a zero batch gives outputs of the declared shapes.</li>
 * </ol>
 */
public final class BundleLoader {

    private final OrtSessionFactory sessions;

    public BundleLoader(OrtSessionFactory sessions) {
        this.sessions = sessions;
    }

    /** Verifies all of the bundle, opening every model, then closes them again. */
    public BundleManifest verify(Path directory) throws IOException {
        try (LoadedBundle bundle = load(directory, Set.copyOf(Roles.ONNX_ROLES))) {
            return bundle.manifest();
        }
    }

    /**
     * Verifies the bundle and opens sessions for those of {@code roles} that the bundle has
     * (checksums are verified for every file, sessions opened only for the roles asked for).
     */
    public LoadedBundle load(Path directory, Set<String> roles) throws IOException {
        BundleManifest manifest = Manifests.read(directory);
        checkManifest(manifest, directory);
        for (Map.Entry<String, ModelFile> e : manifest.files().entrySet()) {
            checkFile(directory, e.getKey(), e.getValue());
        }
        List<String> labels = readLabels(directory, manifest);

        Map<String, OrtSession> bySha = new HashMap<>();
        Map<String, OrtSession> byRole = new HashMap<>();
        try {
            for (String role : Roles.ONNX_ROLES) {
                ModelFile file = manifest.file(role);
                if (file == null || !roles.contains(role)) {
                    continue;
                }
                OrtSession session = bySha.get(file.sha256());
                if (session == null) {
                    try {
                        session = sessions.open(directory.resolve(file.path()));
                    } catch (OrtException e) {
                        throw new BundleException(where(manifest, role) + ": ONNX Runtime cannot load " + file.path() + ": " + e.getMessage(), e);
                    }
                    bySha.put(file.sha256(), session);
                }
                checkSession(manifest, role, file, session);
                byRole.put(role, session);
            }
        } catch (RuntimeException e) {
            closeAll(bySha.values());
            throw e;
        }
        return new LoadedBundle(directory, manifest, byRole, labels);
    }

    static void checkManifest(BundleManifest m, Path directory) {
        String where = directory.resolve(BundleManifest.FILE_NAME).toString();
        if (m.format() != BundleManifest.FORMAT) {
            throw new BundleException(where + ": format " + m.format() + " is not supported (expected " + BundleManifest.FORMAT + ")");
        }
        if (m.version() == null || !BundleManifest.VERSION_PATTERN.matcher(m.version()).matches()) {
            throw new BundleException(where + ": version '" + m.version() + "' must match " + BundleManifest.VERSION_PATTERN);
        }
        if (m.embeddingDimension() <= 0) {
            throw new BundleException(where + ": embedding_dimension must be positive");
        }
        ModelFile head = m.file(Roles.HEAD);
        if (head == null) {
            throw new BundleException(where + ": no file with role '" + Roles.HEAD + "'");
        }
        for (Map.Entry<String, ModelFile> e : m.files().entrySet()) {
            ModelFile f = e.getValue();
            if (f.path() == null || f.path().isBlank() || !Sha256.isValid(f.sha256())) {
                throw new BundleException(where + ": file of role '" + e.getKey() + "' needs a path and a lower-case hex sha256");
            }
        }
        if (head.outputs().isEmpty() || !Roles.HEAD_EMBEDDING.equals(head.outputs().get(0).name())) {
            throw new BundleException(where + ": the head's first output must be named '" + Roles.HEAD_EMBEDDING + "'");
        }
        checkProjections(head, where);
        if (head.outputs().get(0).lastDim() != m.embeddingDimension()) {
            throw new BundleException(where + ": head output " + head.outputs().get(0) + " does not match embedding_dimension "
                    + m.embeddingDimension());
        }
        if (head.inputs().isEmpty()) {
            throw new BundleException(where + ": the head declares no inputs");
        }
        for (TensorSpec input : head.inputs()) {
            String source = switch (input.name()) {
                case Roles.HEAD_IMAGE_FEATURES -> Roles.IMAGE_ENCODER;
                case Roles.HEAD_BODY_FEATURES -> Roles.BODY_ENCODER;
                case Roles.HEAD_SEM2VEC -> Roles.SEGMENTER;
                default -> throw new BundleException(where + ": head input '" + input.name() + "' is none of "
                        + List.of(Roles.HEAD_IMAGE_FEATURES, Roles.HEAD_BODY_FEATURES, Roles.HEAD_SEM2VEC));
            };
            ModelFile sourceFile = m.file(source);
            if (sourceFile == null) {
                throw new BundleException(where + ": head input '" + input.name() + "' needs a file with role '" + source + "'");
            }
            long width = Roles.SEGMENTER.equals(source) ? segmenterClasses(m, where) : encoderWidth(sourceFile, source, where);
            if (input.shape().length != 2 || input.lastDim() != width) {
                throw new BundleException(where + ": head input " + input + " must be [N, " + width + "] to take the "
                        + source + "'s output");
            }
        }
    }

    /** Outputs after the embedding are stream projections ([N, d]) of streams the head takes, each at most once. */
    private static void checkProjections(ModelFile head, String where) {
        Set<String> allowed = new LinkedHashSet<>();
        head.inputs().forEach(i -> {
            if (List.of(Roles.HEAD_IMAGE_FEATURES, Roles.HEAD_BODY_FEATURES, Roles.HEAD_SEM2VEC).contains(i.name())) {
                allowed.add(Roles.projectionOf(i.name()));
            }
        });
        for (TensorSpec output : head.outputs().subList(1, head.outputs().size())) {
            if (!allowed.remove(output.name())) {
                throw new BundleException(where + ": head output '" + output.name() + "' is not a stream projection of its inputs "
                        + "(allowed once each: " + allowed + ")");
            }
            if (output.shape().length != 2 || output.lastDim() <= 0) {
                throw new BundleException(where + ": head output " + output + " must be [N, d]");
            }
        }
    }

    private static long encoderWidth(ModelFile encoder, String role, String where) {
        if (encoder.inputs().size() != 1 || encoder.outputs().size() != 1) {
            throw new BundleException(where + ": " + role + " must declare one input and the one output the head uses");
        }
        Preprocessing p = encoder.preprocessing();
        if (p == null) {
            throw new BundleException(where + ": " + role + " has no preprocessing");
        }
        try {
            p.validate(role);
        } catch (IllegalArgumentException e) {
            throw new BundleException(where + ": " + e.getMessage());
        }
        checkImageInput(encoder.inputs().get(0), p, role, where);
        TensorSpec out = encoder.outputs().get(0);
        if (out.shape().length != 2 || out.lastDim() <= 0) {
            throw new BundleException(where + ": " + role + " output " + out + " must be [N, D] with D > 0");
        }
        return out.lastDim();
    }

    /** Number of segmenter classes (output channels); checks its input against its preprocessing. */
    static long segmenterClasses(BundleManifest m, String where) {
        ModelFile seg = m.file(Roles.SEGMENTER);
        if (seg.inputs().size() != 1 || seg.outputs().size() != 1 || seg.preprocessing() == null) {
            throw new BundleException(where + ": segmenter must declare one input, one output (logits) and preprocessing");
        }
        try {
            seg.preprocessing().validate(Roles.SEGMENTER);
        } catch (IllegalArgumentException e) {
            throw new BundleException(where + ": " + e.getMessage());
        }
        checkImageInput(seg.inputs().get(0), seg.preprocessing(), Roles.SEGMENTER, where);
        long[] shape = seg.outputs().get(0).shape();
        if (shape.length != 4 || shape[1] <= 0 || shape[1] > 255) {
            throw new BundleException(where + ": segmenter output " + seg.outputs().get(0)
                    + " must be logits [N, C, h, w] with 0 < C <= 255");
        }
        return shape[1];
    }

    private static void checkImageInput(TensorSpec input, Preprocessing p, String role, String where) {
        long[] s = input.shape();
        if (s.length != 4 || s[1] != 3 || (s[2] > 0 && s[2] != p.height()) || (s[3] > 0 && s[3] != p.width())) {
            throw new BundleException(where + ": " + role + " input " + input + " must be [N, 3, " + p.height() + ", "
                    + p.width() + "] to match its preprocessing");
        }
    }

    private static void checkFile(Path directory, String role, ModelFile file) throws IOException {
        Path resolved = directory.resolve(file.path()).normalize();
        if (!resolved.startsWith(directory.normalize())) {
            throw new BundleException(directory + ": file of role '" + role + "' (" + file.path() + ") lies outside the bundle");
        }
        if (!Files.isRegularFile(resolved)) {
            throw new BundleException(directory + ": file of role '" + role + "' is missing: " + file.path());
        }
        long size = Files.size(resolved);
        if (file.bytes() > 0 && size != file.bytes()) {
            throw new BundleException(resolved + " (" + role + ") is " + size + " bytes, the manifest says " + file.bytes());
        }
        String actual = FileDigests.sha256(resolved);
        if (!actual.equals(file.sha256())) {
            throw new BundleException(resolved + " (" + role + ") has sha256 " + actual + ", the manifest says " + file.sha256());
        }
    }

    private static List<String> readLabels(Path directory, BundleManifest m) throws IOException {
        ModelFile labelsFile = m.file(Roles.SEGMENTER_LABELS);
        if (m.file(Roles.SEGMENTER) == null) {
            return List.of();
        }
        long classes = m.file(Roles.SEGMENTER).outputs().isEmpty() ? 0 : m.file(Roles.SEGMENTER).outputs().get(0).shape()[1];
        if (labelsFile == null) {
            List<String> numbered = new ArrayList<>();
            for (int i = 0; i < classes; i++) {
                numbered.add("class_" + i);
            }
            return numbered;
        }
        List<String> labels = Files.readAllLines(directory.resolve(labelsFile.path()), StandardCharsets.UTF_8).stream()
                .map(String::strip).filter(s -> !s.isEmpty()).toList();
        if (labels.size() != classes) {
            throw new BundleException(directory.resolve(labelsFile.path()) + " has " + labels.size()
                    + " class names, the segmenter outputs " + classes + " classes");
        }
        return labels;
    }

    private static void checkSession(BundleManifest m, String role, ModelFile file, OrtSession session) {
        String where = where(m, role);
        try {
            Map<String, NodeInfo> inputs = session.getInputInfo();
            Map<String, NodeInfo> outputs = session.getOutputInfo();
            if (inputs.size() != file.inputs().size()) {
                throw new BundleException(where + ": the model has inputs " + inputs.keySet() + ", the manifest declares "
                        + file.inputs());
            }
            for (TensorSpec spec : file.inputs()) {
                compareShape(where, "input", spec, inputs.get(spec.name()), inputs.keySet());
            }
            for (TensorSpec spec : file.outputs()) {
                compareShape(where, "output", spec, outputs.get(spec.name()), outputs.keySet());
            }
            smokeRun(where, file, session);
        } catch (OrtException e) {
            throw new BundleException(where + ": " + e.getMessage(), e);
        }
    }

    /** Model dims that are fixed must equal the manifest's; dynamic model dims accept any declared value. */
    private static void compareShape(String where, String kind, TensorSpec spec, NodeInfo info, Set<String> available) {
        if (info == null) {
            throw new BundleException(where + ": the model has no " + kind + " named '" + spec.name() + "' (it has " + available + ")");
        }
        if (!(info.getInfo() instanceof TensorInfo tensor)) {
            throw new BundleException(where + ": " + kind + " '" + spec.name() + "' is not a tensor");
        }
        long[] actual = tensor.getShape();
        boolean ok = actual.length == spec.shape().length;
        for (int i = 0; ok && i < actual.length; i++) {
            // a batch the export fixed is accepted where the manifest declares a dynamic one: served in runs of that size
            ok = actual[i] < 0 || actual[i] == spec.shape()[i] || (i == 0 && spec.shape()[i] < 0);
        }
        if (!ok || (tensor.type != ai.onnxruntime.OnnxJavaType.FLOAT)) {
            throw new BundleException(where + ": " + kind + " '" + spec.name() + "' is " + tensor.type + Arrays.toString(actual)
                    + " in the model, the manifest declares float" + Arrays.toString(spec.shape()));
        }
    }

    /**
     * One run on zeros, at the batch the model fixes (else 1): a model that loads but cannot run (or gives other shapes)
     * never activates.
     */
    private static void smokeRun(String where, ModelFile file, OrtSession session) throws OrtException {
        Map<String, OnnxTensor> feeds = new HashMap<>();
        long batch = Math.max(1, ImageModelRunner.fixedBatch(session, file.inputs().get(0).name()));
        try {
            for (TensorSpec spec : file.inputs()) {
                long[] shape = concrete(spec.shape(), batch);
                int count = (int) Arrays.stream(shape).reduce(1, (a, b) -> a * b);
                feeds.put(spec.name(), OnnxTensor.createTensor(OrtSessionFactory.environment(),
                        FloatBuffer.wrap(new float[count]), shape));
            }
            Set<String> wanted = new LinkedHashSet<>();
            file.outputs().forEach(o -> wanted.add(o.name()));
            try (OrtSession.Result result = session.run(feeds, wanted)) {
                for (TensorSpec spec : file.outputs()) {
                    long[] actual = ((TensorInfo) result.get(spec.name()).orElseThrow().getInfo()).getShape();
                    long[] expected = concrete(spec.shape(), batch);
                    if (!Arrays.equals(actual, expected)) {
                        throw new BundleException(where + ": a test run gave output '" + spec.name() + "' of shape "
                                + Arrays.toString(actual) + ", the manifest declares " + Arrays.toString(spec.shape()));
                    }
                }
            }
        } finally {
            feeds.values().forEach(OnnxTensor::close);
        }
    }

    /** {@code shape} with a dynamic batch set to {@code batch} and any other dynamic dimension to 1. */
    private static long[] concrete(long[] shape, long batch) {
        long[] s = shape.clone();
        for (int i = 0; i < s.length; i++) {
            if (s[i] < 0) {
                s[i] = i == 0 ? batch : 1;
            }
        }
        return s;
    }

    private static String where(BundleManifest m, String role) {
        return "bundle " + m.version() + ", " + role;
    }

    private static void closeAll(Iterable<OrtSession> open) {
        for (OrtSession s : open) {
            try {
                s.close();
            } catch (OrtException ignored) {
                // already failing; the original error is what matters
            }
        }
    }
}
