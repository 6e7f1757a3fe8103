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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Assembles the default bundle from backbone ONNX files (an ImageNet ResNet for image and body, an ADE20K
 * segmenter) and the {@link DefaultHead}, and publishes it to a store. Shapes are read from the models
 * themselves. The version is derived from the inputs' checksums, so assembling the same files twice
 * finds the bundle already published instead of making a second one.
 */
public final class DefaultBundleAssembler {

    /** Inputs of the assembly; encoder and segmenter input sizes are those of the stand-ins / real models. */
    public record Inputs(Path imageEncoder, Path bodyEncoder, String encoderOutput, int encoderInputSize,
                         Path segmenter, Path segmenterLabels, int segmenterInputSize) {
    }

    private final OrtSessionFactory sessions;

    public DefaultBundleAssembler(OrtSessionFactory sessions) {
        this.sessions = sessions;
    }

    /** Publishes the default bundle (if not already there) and returns its version. */
    public String assemble(Inputs in, ModelStore store) throws IOException, OrtException {
        String imageSha = Sha256.of(in.imageEncoder());
        String bodySha = Sha256.of(in.bodyEncoder());
        String segSha = Sha256.of(in.segmenter());
        String labelsSha = in.segmenterLabels() == null ? "" : Sha256.of(in.segmenterLabels());
        String version = "default-" + Sha256.of((imageSha + bodySha + segSha + labelsSha + in.encoderOutput()
                + in.encoderInputSize() + in.segmenterInputSize() + DefaultHead.SEED + "/head-graph-" + DefaultHead.GRAPH_REVISION).getBytes()).substring(0, 12);
        if (store.contains(version)) {
            return version;
        }
        Preprocessing encoderPre = Preprocessing.exact(in.encoderInputSize(), in.encoderInputSize(),
                Preprocessing.IMAGENET_MEAN, Preprocessing.IMAGENET_STD);
        Preprocessing segPre = Preprocessing.exact(in.segmenterInputSize(), in.segmenterInputSize(),
                Preprocessing.IMAGENET_MEAN, Preprocessing.IMAGENET_STD);

        Path staging = store.newStagingDirectory();
        try {
            Map<String, ModelFile> files = new LinkedHashMap<>();
            ModelFile image = encoderFile(in.imageEncoder(), "image_encoder.onnx", imageSha, in.encoderOutput(), encoderPre, staging);
            files.put(Roles.IMAGE_ENCODER, image);
            ModelFile body = imageSha.equals(bodySha) ? image
                    : encoderFile(in.bodyEncoder(), "body_encoder.onnx", bodySha, in.encoderOutput(), encoderPre, staging);
            files.put(Roles.BODY_ENCODER, body);
            ModelFile seg = segmenterFile(in.segmenter(), segSha, segPre, staging);
            files.put(Roles.SEGMENTER, seg);
            if (in.segmenterLabels() != null) {
                Files.copy(in.segmenterLabels(), staging.resolve("segmenter_labels.txt"));
                files.put(Roles.SEGMENTER_LABELS, new ModelFile("segmenter_labels.txt", labelsSha,
                        Files.size(in.segmenterLabels()), null, null, null));
            }
            int imageDim = (int) image.outputs().get(0).lastDim();
            int bodyDim = (int) body.outputs().get(0).lastDim();
            int semDim = (int) seg.outputs().get(0).shape()[1];
            byte[] head = DefaultHead.build(imageDim, bodyDim, semDim, DefaultHead.EMBEDDING_DIMENSION, DefaultHead.SEED);
            Files.write(staging.resolve("head.onnx"), head);
            files.put(Roles.HEAD, DefaultHead.manifestEntry("head.onnx", Sha256.of(head), head.length, imageDim, bodyDim, semDim,
                    DefaultHead.EMBEDDING_DIMENSION));

            BundleManifest manifest = new BundleManifest(BundleManifest.FORMAT, version,
                    Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), null,
                    "Default bundle: backbones " + in.imageEncoder().getFileName() + " and " + in.segmenter().getFileName()
                            + ", untrained random-projection head (seed " + DefaultHead.SEED + "); see DefaultHead",
                    DefaultHead.KIND, DefaultHead.EMBEDDING_DIMENSION, null, null, null,
                    Map.of("head_seed", DefaultHead.SEED), null, files);
            Manifests.write(manifest, staging);
        } catch (IOException | OrtException | RuntimeException e) {
            ModelStore.deleteRecursively(staging);
            throw e;
        }
        store.publish(staging, new BundleLoader(sessions));
        return version;
    }

    private ModelFile encoderFile(Path source, String name, String sha, String outputName, Preprocessing pre, Path staging)
            throws IOException, OrtException {
        try (OrtSession session = sessions.open(source)) {
            Map.Entry<String, NodeInfo> input = onlyInput(session, source);
            NodeInfo output = session.getOutputInfo().get(outputName);
            if (output == null) {
                throw new BundleException(source + " has no output '" + outputName + "' (it has " + session.getOutputInfo().keySet()
                        + "); name the pooled-feature output with --encoder-output");
            }
            long[] outShape = ((TensorInfo) output.getInfo()).getShape();
            Files.copy(source, staging.resolve(name));
            return new ModelFile(name, sha, Files.size(source),
                    List.of(TensorSpec.of(input.getKey(), -1, 3, pre.height(), pre.width())),
                    List.of(TensorSpec.of(outputName, -1, outShape[outShape.length - 1])), pre);
        }
    }

    /** The output resolution of a dynamic-size segmenter is only known by running it once. */
    private ModelFile segmenterFile(Path source, String sha, Preprocessing pre, Path staging) throws IOException, OrtException {
        try (OrtSession session = sessions.open(source)) {
            Map.Entry<String, NodeInfo> input = onlyInput(session, source);
            String output = session.getOutputNames().iterator().next();
            long batch = Math.max(1, ImageModelRunner.fixedBatch(session, input.getKey()));
            long[] inShape = {batch, 3, pre.height(), pre.width()};
            long[] outShape;
            try (OnnxTensor zeros = OnnxTensor.createTensor(OrtSessionFactory.environment(),
                    FloatBuffer.wrap(new float[(int) batch * 3 * pre.height() * pre.width()]), inShape);
                 OrtSession.Result r = session.run(Map.of(input.getKey(), zeros), Set.of(output))) {
                outShape = ((TensorInfo) r.get(0).getInfo()).getShape();
            }
            Files.copy(source, staging.resolve("segmenter.onnx"));
            return new ModelFile("segmenter.onnx", sha, Files.size(source),
                    List.of(TensorSpec.of(input.getKey(), -1, 3, pre.height(), pre.width())),
                    List.of(TensorSpec.of(output, -1, outShape[1], outShape[2], outShape[3])), pre);
        }
    }

    private static Map.Entry<String, NodeInfo> onlyInput(OrtSession session, Path source) throws OrtException {
        if (session.getInputInfo().size() != 1) {
            throw new BundleException(source + " must have exactly one input, it has " + session.getInputInfo().keySet());
        }
        return session.getInputInfo().entrySet().iterator().next();
    }
}
