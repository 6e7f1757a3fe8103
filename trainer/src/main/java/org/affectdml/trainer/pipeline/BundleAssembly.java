package org.affectdml.trainer.pipeline;

import org.affectdml.inference.bundle.BundleManifest;
import org.affectdml.inference.bundle.LoadedBundle;
import org.affectdml.inference.bundle.Manifests;
import org.affectdml.inference.bundle.ModelFile;
import org.affectdml.inference.bundle.ModelStore;
import org.affectdml.inference.bundle.Roles;
import org.affectdml.inference.bundle.Sha256;
import org.affectdml.trainer.emotic.EmoticDataset;
import org.affectdml.trainer.eval.EvaluationReport;
import org.affectdml.trainer.eval.Evaluator;
import org.affectdml.trainer.head.HeadOnnxExporter;
import org.affectdml.trainer.head.HeadShape;
import org.affectdml.trainer.head.HeadTrainer;
import org.affectdml.trainer.head.HeadWeights;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A trained bundle in the store's staging area: the parent's encoders, segmenter and labels (hard links when
 * the file system allows, else copies), the exported head, and a manifest recording the data set, protocol,
 * variant, hyper-parameters and, once evaluated, the metrics. Publishing is the store's atomic rename.
 */
record BundleAssembly(Path staging, String version, BundleManifest draft) {

    static final String HEAD_KIND = "affect-dml-trained";
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss").withZone(ZoneOffset.UTC);

    static BundleAssembly stage(ModelStore store, LoadedBundle parent, HeadWeights head, TrainingRequest request, EmoticDataset dataset,
                                HeadTrainer.Result result) throws IOException {
        return stage(store, parent, head, request, dataset, result, Map.of());
    }

    /**
     * @param trainedEncoders ONNX bytes by role ({@link Roles#IMAGE_ENCODER}, {@link Roles#BODY_ENCODER}) of encoders this
     *                        run trained; they replace the parent's, each in its own file
     */
    static BundleAssembly stage(ModelStore store, LoadedBundle parent, HeadWeights head, TrainingRequest request, EmoticDataset dataset,
                                HeadTrainer.Result result, Map<String, byte[]> trainedEncoders) throws IOException {
        String version = uniqueVersion(store, versionName(request));
        Path staging = store.newStagingDirectory();
        try {
            Map<String, ModelFile> files = new LinkedHashMap<>();
            for (var e : parent.manifest().files().entrySet()) {
                if (e.getKey().equals(Roles.HEAD)) {
                    continue;
                }
                byte[] trained = trainedEncoders.get(e.getKey());
                if (trained != null) {
                    String path = e.getKey() + ".onnx";
                    Files.write(staging.resolve(path), trained);
                    ModelFile parentFile = e.getValue();
                    files.put(e.getKey(), new ModelFile(path, Sha256.of(trained), trained.length, parentFile.inputs(), parentFile.outputs(),
                            parentFile.preprocessing()));
                    continue;
                }
                Path target = staging.resolve(e.getValue().path());
                if (!Files.exists(target)) {
                    Files.createDirectories(target.getParent());
                    linkOrCopy(parent.directory().resolve(e.getValue().path()), target);
                }
                files.put(e.getKey(), e.getValue());
            }
            byte[] onnx = HeadOnnxExporter.export(head, "affect_dml_head_" + request.variant().name().toLowerCase(Locale.ROOT));
            Files.write(staging.resolve("head.onnx"), onnx);
            HeadShape s = head.shape();
            files.put(Roles.HEAD, new ModelFile("head.onnx", Sha256.of(onnx), onnx.length, HeadOnnxExporter.inputs(s),
                    HeadOnnxExporter.outputs(s), null));

            Map<String, Object> hyper = new LinkedHashMap<>(request.config().asMap());
            hyper.put("validation_fraction", request.validationFraction());
            hyper.put("split", request.split().label());
            List<String> trainedParts = new java.util.ArrayList<>(Roles.ONNX_ROLES.stream().filter(trainedEncoders::containsKey).toList());
            trainedParts.add(Roles.HEAD);
            hyper.put("trained_parts", trainedParts);
            hyper.put("trained_from", parent.version());
            if (request.encoderLearningRate() != null) {
                hyper.put("encoder_learning_rate", request.encoderLearningRate());
                hyper.put("encoders", "trained jointly with the head from " + parent.version() + "'s encoders, one copy per stream, "
                        + "BatchNorm folded (the folded network is trained)");
            }
            hyper.put("best_epoch", result.bestEpoch());
            // what chose the kept epoch: a split too small for any validation person leaves the last epoch
            boolean validated = result.history().stream().anyMatch(e -> !Double.isNaN(e.validationAccuracy()));
            hyper.put("epoch_selection", validated ? "best-validation" : "last");
            hyper.put("head", String.format(Locale.ROOT, "streams %d x Linear(->%d) [Sem2Vec: Linear(%d,%d)-ReLU-BN-Linear(%d,%d)], "
                            + "G Linear(%d,%d), embedder Linear(%d,%d); encoders %s %s", s.streams(), s.fusion(),
                    s.semDim(), s.semHidden(), s.semHidden(), s.fusion(), s.streams() * s.fusion(), s.fusion(), s.fusion(),
                    s.embedding(), trainedEncoders.isEmpty() ? "frozen (features from" : "trained jointly (from", parent.version() + ")"));
            hyper.put("parameters", head.parameterCount());
            String protocol = Evaluator.protocolName(request.protocol())
                    + (request.dimension() == null ? "" : " " + request.dimension().name().toLowerCase(Locale.ROOT));
            BundleManifest draft = new BundleManifest(BundleManifest.FORMAT, version, Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(),
                    parent.version(), request.variant().paperName() + " head trained on " + protocol + " base classes of "
                    + request.dataset(), HEAD_KIND, s.embedding(),
                    "EMOTIC-format " + request.dataset() + " (" + dataset.persons().size() + " persons with images)",
                    protocol, request.variant().paperName(), hyper, Map.of(), files);
            Manifests.write(draft, staging);
            return new BundleAssembly(staging, version, draft);
        } catch (IOException | RuntimeException e) {
            ModelStore.deleteRecursively(staging);
            throw e;
        }
    }

    /** Rewrites the manifest with the evaluation's numbers and the training curve's summary. */
    BundleManifest finish(EvaluationReport evaluation, HeadTrainer.Result result) throws IOException {
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("one_shot_single_draw_overall", evaluation.singleDraw().overall());
        metrics.put("one_shot_single_draw_balanced", evaluation.singleDraw().balanced());
        metrics.put("one_shot_mean_overall", evaluation.draws().overallMean());
        metrics.put("one_shot_mean_overall_ci95", evaluation.draws().overallCi95());
        metrics.put("one_shot_mean_balanced", evaluation.draws().balancedMean());
        metrics.put("one_shot_mean_balanced_ci95", evaluation.draws().balancedCi95());
        metrics.put("one_shot_draws", (double) evaluation.draws().count());
        if (evaluation.ranking() != null && Double.isFinite(evaluation.ranking().mapMean())) {
            metrics.put("one_shot_mean_map", evaluation.ranking().mapMean());
            if (Double.isFinite(evaluation.ranking().mapCi95())) {
                metrics.put("one_shot_mean_map_ci95", evaluation.ranking().mapCi95());
            }
        }
        if (evaluation.calibration() != null && Double.isFinite(evaluation.calibration().fittedTemperature())) {
            var c = evaluation.calibration();
            metrics.put(org.affectdml.service.calibration.Calibration.MANIFEST_METRIC, c.fittedTemperature());
            metrics.put("calibration_validation_answers", (double) c.fittedOnValidationAnswers());
            metrics.put("ece_registry_temperature", c.registryEce());
            metrics.put("ece_calibrated_temperature", c.fittedEce());
        }
        metrics.put("majority_baseline_overall", evaluation.baselines().majorityOverall());
        metrics.put("random_baseline", evaluation.baselines().randomOverall());
        HeadTrainer.EpochReport best = result.history().get(result.bestEpoch() - 1);
        metrics.put("validation_balanced_accuracy", best.validationAccuracy());
        metrics.put("final_train_loss", result.history().get(result.history().size() - 1).loss());
        BundleManifest m = new BundleManifest(draft.format(), draft.version(), draft.created(), draft.parent(), draft.description(),
                draft.headKind(), draft.embeddingDimension(), draft.dataset(), draft.protocol(), draft.variant(),
                draft.hyperparameters(), metrics, draft.files());
        Manifests.write(m, staging);
        return m;
    }

    static String versionName(TrainingRequest r) {
        String protocol = r.protocol().name().toLowerCase(Locale.ROOT).replace('_', '-')
                + (r.dimension() == null ? "" : "-" + r.dimension().name().toLowerCase(Locale.ROOT).substring(0, 3));
        return protocol + "-" + r.variant().name().toLowerCase(Locale.ROOT).replace('_', '-') + "-" + STAMP.format(Instant.now());
    }

    /** The name, or with a counter when a bundle of that name exists (two trainings within one second). */
    private static String uniqueVersion(ModelStore store, String name) {
        String version = name;
        for (int n = 2; store.contains(version); n++) {
            version = name + "-" + n;
        }
        return version;
    }

    private static void linkOrCopy(Path source, Path target) throws IOException {
        try {
            Files.createLink(target, source);
        } catch (IOException | UnsupportedOperationException e) {
            Files.copy(source, target);
        }
    }
}
