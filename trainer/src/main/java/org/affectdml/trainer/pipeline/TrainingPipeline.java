package org.affectdml.trainer.pipeline;

import ai.onnxruntime.OrtException;
import org.affectdml.inference.bundle.BundleLoader;
import org.affectdml.inference.bundle.BundleManifest;
import org.affectdml.inference.bundle.LoadedBundle;
import org.affectdml.inference.bundle.ModelStore;
import org.affectdml.inference.bundle.NoActiveBundleException;
import org.affectdml.inference.bundle.Roles;
import org.affectdml.inference.onnx.OrtSessionFactory;
import org.affectdml.trainer.emotic.EmoticDataset;
import org.affectdml.trainer.eval.EvaluationReport;
import org.affectdml.trainer.eval.Evaluator;
import org.affectdml.trainer.eval.Plots;
import org.affectdml.trainer.eval.ReportWriter;
import org.affectdml.trainer.eval.TrainingCurves;
import org.affectdml.trainer.features.ExtractedFeatures;
import org.affectdml.trainer.features.FeatureCache;
import org.affectdml.trainer.features.FeatureExtractor;
import org.affectdml.trainer.features.PersonFeatures;
import org.affectdml.trainer.head.FeatureMatrix;
import org.affectdml.trainer.head.HeadShape;
import org.affectdml.trainer.head.HeadTrainer;
import org.affectdml.trainer.protocol.Dimension;
import org.affectdml.trainer.protocol.Protocol;
import org.affectdml.trainer.protocol.SplitRule;
import org.affectdml.inference.bundle.ModelFile;
import org.affectdml.trainer.encoder.DatasetPixels;
import org.affectdml.trainer.encoder.JointTrainer;
import org.affectdml.trainer.protocol.ProtocolSplit;
import java.nio.file.Files;
import java.util.List;

import org.affectdml.trainer.protocol.ProtocolSplit;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A training run end to end: read the data set, extract features with the base bundle's encoders (cached),
 * split by protocol, train the head with DJL, export it to ONNX, evaluate the new bundle one-shot on the novel
 * classes, publish it atomically (metrics in the manifest) and optionally activate it. Also evaluates any
 * stored bundle the same way.
 */
public final class TrainingPipeline {

    /** What a finished run produced. */
    public record Outcome(String version, BundleManifest manifest, EvaluationReport evaluation, HeadTrainer.Result training,
                          Path reportDirectory) {
    }

    private final ModelStore store;
    private final OrtSessionFactory sessions;
    private final Path cacheRoot;
    private final Path reportRoot;
    private final int[] extraShots;

    /**
     * @param cacheRoot  feature cache root (one sub-directory per encoder set)
     * @param reportRoot evaluation reports go to {@code reportRoot/<bundle version>/}
     */
    public TrainingPipeline(ModelStore store, OrtSessionFactory sessions, Path cacheRoot, Path reportRoot) {
        this(store, sessions, cacheRoot, reportRoot, Evaluator.DEFAULT_EXTRA_SHOTS);
    }

    private TrainingPipeline(ModelStore store, OrtSessionFactory sessions, Path cacheRoot, Path reportRoot, int[] extraShots) {
        this.store = store;
        this.sessions = sessions;
        this.cacheRoot = cacheRoot;
        this.reportRoot = reportRoot;
        this.extraShots = extraShots.clone();
    }

    /** The same pipeline, evaluating k-shot for these k beside the one-shot protocol (default: 5). */
    public TrainingPipeline withExtraShots(int... shots) {
        for (int k : shots) {
            if (k < 2) {
                throw new IllegalArgumentException("k-shot evaluation beside one-shot takes k >= 2, got " + k);
            }
        }
        return new TrainingPipeline(store, sessions, cacheRoot, reportRoot, shots);
    }

    /** Persons, their features and the protocol split over them. */
    record Prepared(EmoticDataset dataset, ExtractedFeatures features, ProtocolSplit split) {
    }

    public Outcome train(TrainingRequest request, PipelineListener listener) throws IOException, OrtException {
        String base = request.baseVersion() != null && !request.baseVersion().isBlank() ? request.baseVersion()
                : store.activeVersion().orElseThrow(() -> new NoActiveBundleException("no active bundle to take the encoders from; "
                + "activate one (deploy/local/default-bundle.sh) or name base_model_version"));
        Prepared prepared;
        try (LoadedBundle parent = load(base)) {
            prepared = prepare(parent, request.dataset(), request.protocol(), request.dimension(), request.validationFraction(),
                    request.config().seed(), request.split(), listener);
            listener.phase("training", request.variant().paperName() + ", " + request.config().epochs() + " epochs");
            Protocol protocol = request.protocol();
            Map<Integer, Integer> baseIndex = baseClassIndex(protocol);
            FeatureMatrix train = matrix(prepared.features(), prepared.split().train(), baseIndex);
            FeatureMatrix validation = matrix(prepared.features(), prepared.split().validation(), baseIndex);
            HeadShape shape = HeadShape.paper(request.variant(), prepared.features().imageDim(), prepared.features().bodyDim(),
                    prepared.features().semDim(), baseIndex.size());
            HeadTrainer.Listener progress = new HeadTrainer.Listener() {
                @Override
                public void batch(int epoch, int batch, int batches) {
                    double done = (epoch - 1 + (double) batch / batches) / request.config().epochs();
                    listener.progress(done, 0, null);
                }

                @Override
                public void epoch(HeadTrainer.EpochReport report) {
                    listener.epoch(report);
                }
            };
            HeadTrainer.Result result;
            Map<String, byte[]> trainedEncoders = new java.util.LinkedHashMap<>();
            if (request.encoderLearningRate() == null) {
                result = new HeadTrainer(request.config()).train(shape, train, validation, progress, listener::cancelled);
            } else {
                JointTrainer.Result joint = trainJointly(parent, request, prepared, shape, baseIndex, progress, listener);
                result = new HeadTrainer.Result(joint.head(), joint.bestEpoch(), joint.history());
                if (request.variant().image()) {
                    trainedEncoders.put(Roles.IMAGE_ENCODER, joint.imageEncoder());
                }
                if (request.variant().body()) {
                    trainedEncoders.put(Roles.BODY_ENCODER, joint.bodyEncoder());
                }
            }

            listener.phase("publishing", "exporting the head" + (trainedEncoders.isEmpty() ? "" : " and the encoders")
                    + " to ONNX and assembling the bundle");
            BundleAssembly assembly = BundleAssembly.stage(store, parent, result.best(), request, prepared.dataset(), result, trainedEncoders);
            try {
                EvaluationReport evaluation;
                Set<String> roles = trainedEncoders.isEmpty() ? Set.of(Roles.HEAD) : Set.copyOf(Roles.ONNX_ROLES);
                try (LoadedBundle staged = new BundleLoader(sessions).load(assembly.staging(), roles)) {
                    // trained encoders give other features than the parent's: the novel persons are encoded again
                    Prepared evaluated = trainedEncoders.isEmpty() ? prepared : reencoded(staged, prepared, listener);
                    listener.phase("evaluating", "one-shot 1-NN on the novel classes, " + request.evaluationDraws() + " support draws");
                    // the probabilities' temperature, fitted on the base-class validation persons through the staged bundle
                    Evaluator.NovelEmbeddings validationRows = Evaluator.embedValidation(staged, evaluated.features(), evaluated.split(),
                            request.protocol());
                    Evaluator.FittedTemperature fitted = validationRows.samples().isEmpty() ? null
                            : Evaluator.fitTemperature(validationRows, request.supportSeed(), request.config().validationDraws());
                    evaluation = evaluate(staged, assembly.version(), request.variant().paperName(), evaluated, request.protocol(),
                            request.dimension(), request.supportSeed(), request.evaluationDraws(),
                            PaperDeviations.of(assembly.draft(), request.split()), fitted);
                }
                TrainingCurves.write(result.history(), result.bestEpoch(), reportRoot.resolve(assembly.version()),
                        assembly.version() + ": training, epoch by epoch");
                BundleManifest manifest = assembly.finish(evaluation, result);
                listener.phase("publishing", "publishing " + assembly.version());
                store.publish(assembly.staging(), new BundleLoader(sessions));
                if (request.activate()) {
                    store.activate(assembly.version(), new BundleLoader(sessions));
                    listener.log("activated " + assembly.version());
                }
                return new Outcome(assembly.version(), manifest, evaluation, result, reportRoot.resolve(assembly.version()));
            } catch (IOException | OrtException | RuntimeException e) {
                ModelStore.deleteRecursively(assembly.staging());
                throw e;
            }
        }
    }

    /** The head and both encoders trained together on the base-class training persons (pixels read as batches need them). */
    private JointTrainer.Result trainJointly(LoadedBundle parent, TrainingRequest request, Prepared prepared, HeadShape shape,
                                             Map<Integer, Integer> baseIndex, HeadTrainer.Listener progress, PipelineListener listener)
            throws IOException {
        ModelFile image = parent.manifest().file(Roles.IMAGE_ENCODER);
        ModelFile body = parent.manifest().file(Roles.BODY_ENCODER);
        listener.log("joint training: both encoders (one copy each, from " + parent.version() + ") at learning rate "
                + request.encoderLearningRate() + ", the head at " + request.config().learningRate() + "; the segmenter stays frozen");
        return new JointTrainer(request.config(), request.encoderLearningRate()).train(shape,
                Files.readAllBytes(parent.directory().resolve(image.path())), Files.readAllBytes(parent.directory().resolve(body.path())),
                image.outputs().get(0).name(), pixelData(prepared, prepared.split().train(), baseIndex, image, body),
                pixelData(prepared, prepared.split().validation(), baseIndex, image, body), progress, listener::cancelled);
    }

    /** Samples as joint-training rows: base-class labels, pixels read when a batch needs them, and their Sem2Vec. */
    private static JointTrainer.Data pixelData(Prepared prepared, List<ProtocolSplit.Sample> rows, Map<Integer, Integer> baseIndex,
                                               ModelFile image, ModelFile body) {
        int[] labels = new int[rows.size()];
        int[] personOfRow = new int[rows.size()];
        float[][] sem = new float[rows.size()][];
        for (int i = 0; i < rows.size(); i++) {
            labels[i] = baseIndex.get(rows.get(i).label());
            personOfRow[i] = rows.get(i).person();
            sem[i] = prepared.features().features().get(rows.get(i).person()).sem2vec();
        }
        return new JointTrainer.Data(labels, new DatasetPixels(prepared.dataset().root(), prepared.features().persons(), personOfRow,
                image, body), sem, DatasetPixels.chw(image), DatasetPixels.chw(body));
    }

    /** The same persons and split, their features computed by {@code bundle}'s (trained) encoders. */
    private Prepared reencoded(LoadedBundle bundle, Prepared prepared, PipelineListener listener) throws IOException, OrtException {
        listener.phase("extracting-features", "novel and base persons with the trained encoders of " + bundle.version());
        FeatureCache cache = FeatureCache.open(cacheRoot, bundle.manifest(), 0);
        ExtractedFeatures features = new FeatureExtractor(bundle, cache, 8).extract(prepared.dataset().root(), prepared.features().persons(),
                s -> listener.progress(s.fraction(), s.etaSeconds(), s.line()), listener::log, listener::cancelled);
        if (features.persons().size() != prepared.features().persons().size()) {
            throw new IllegalStateException("the trained encoders skipped persons the parent's encoded (" + features.skipped() + ")");
        }
        return new Prepared(prepared.dataset(), features, prepared.split());
    }

    /** One-shot evaluation of a stored bundle (e.g. the untrained default) on a data set and protocol. */
    public EvaluationReport evaluateStored(String version, Path dataset, Protocol protocol, Dimension dimension, long supportSeed,
                                           int draws, PipelineListener listener) throws IOException, OrtException {
        return evaluateStored(version, dataset, protocol, dimension, supportSeed, draws, SplitRule.POOLED, listener);
    }

    public EvaluationReport evaluateStored(String version, Path dataset, Protocol protocol, Dimension dimension, long supportSeed,
                                           int draws, SplitRule split, PipelineListener listener) throws IOException, OrtException {
        try (LoadedBundle bundle = load(version)) {
            Prepared prepared = prepare(bundle, dataset, protocol, dimension, 0, 42, split, listener);
            listener.phase("evaluating", "one-shot 1-NN on the novel classes, " + draws + " support draws");
            String variant = bundle.manifest().variant();
            return evaluate(bundle, version, variant != null ? variant : bundle.manifest().headKind(), prepared, protocol, dimension,
                    supportSeed, draws, PaperDeviations.of(bundle.manifest(), split),
                    recordedTemperature(bundle.manifest(), protocol, dimension, split));
        }
    }

    private LoadedBundle load(String version) throws IOException {
        if (!store.contains(version)) {
            throw new IllegalArgumentException("no bundle '" + version + "' in the model store " + store.root());
        }
        return new BundleLoader(sessions).load(store.bundleDirectory(version), Set.copyOf(Roles.ONNX_ROLES));
    }

    private Prepared prepare(LoadedBundle bundle, Path datasetDir, Protocol protocol, Dimension dimension, double validationFraction,
                             long seed, SplitRule rule, PipelineListener listener) throws IOException, OrtException {
        listener.phase("reading", "reading annotations in " + datasetDir);
        Path annotations = DatasetLocator.annotations(datasetDir);
        EmoticDataset dataset = EmoticDataset.load(datasetDir, annotations, listener::log);
        listener.log("read " + (dataset.persons().size() + dataset.missing().size()) + " persons from " + annotations + "; "
                + dataset.missing().size() + " skipped for a missing image");
        if (dataset.persons().isEmpty()) {
            throw new IllegalArgumentException("no person with an existing image in " + datasetDir);
        }
        listener.phase("extracting-features", dataset.persons().size() + " persons with the encoders of " + bundle.version());
        FeatureCache cache = FeatureCache.open(cacheRoot, bundle.manifest(), 0);
        ExtractedFeatures features = new FeatureExtractor(bundle, cache, 8).extract(dataset.root(), dataset.persons(),
                s -> listener.progress(s.fraction(), s.etaSeconds(), s.line()), listener::log, listener::cancelled);
        listener.log(String.format("features: %d computed, %d from the cache (%s), %d skipped, %.1f persons/s",
                features.computed(), features.cacheHits(), cache.directory(), features.skipped().size(), features.personsPerSecond()));
        ProtocolSplit split = ProtocolSplit.of(protocol, dimension, features.persons(), validationFraction, seed, rule);
        listener.log("split " + Evaluator.protocolName(protocol) + (dimension == null ? "" : " " + dimension) + ":\n" + split.countsTable());
        return new Prepared(dataset, features, split);
    }

    /**
     * The temperature a trained bundle's manifest records as fitted on its validation persons, when this evaluation
     * is of the protocol, dimension and split it was trained on (else its validation persons may be queries here).
     */
    private static Evaluator.FittedTemperature recordedTemperature(BundleManifest manifest, Protocol protocol, Dimension dimension,
                                                                   SplitRule split) {
        String evaluated = Evaluator.protocolName(protocol) + (dimension == null ? "" : " " + dimension.name().toLowerCase(java.util.Locale.ROOT));
        Object trainedSplit = manifest.hyperparameters().get("split");
        if (!evaluated.equals(manifest.protocol()) || !split.label().equals(trainedSplit)) {
            return null;
        }
        Double t = manifest.metrics() == null ? null : manifest.metrics().get(org.affectdml.service.calibration.Calibration.MANIFEST_METRIC);
        Double n = manifest.metrics() == null ? null : manifest.metrics().get("calibration_validation_answers");
        return t == null || t.isNaN() ? null : new Evaluator.FittedTemperature(t, n == null ? 0 : n.intValue());
    }

    private EvaluationReport evaluate(LoadedBundle bundle, String version, String variant, Prepared prepared, Protocol protocol,
                                      Dimension dimension, long seed, int draws, String setup, Evaluator.FittedTemperature fitted)
            throws IOException, OrtException {
        Evaluator.NovelEmbeddings novel = Evaluator.embedNovel(bundle, prepared.features(), prepared.split(), protocol);
        EvaluationReport report = Evaluator.evaluate(version, variant, novel, prepared.features(), prepared.split(), protocol,
                dimension, seed, draws, extraShots, fitted).withSetup(setup);
        Path dir = reportRoot.resolve(version);
        ReportWriter.write(report, dir);
        Plots.confusionMatrix(report.singleDraw().confusion(), report.classes(), version + ": single draw (seed " + seed + ")",
                dir.resolve("confusion.png"));
        Plots.tsne(novel.embeddings(), novel.labels(), novel.classes(), 100, seed, version + ": t-SNE of novel-class embeddings",
                dir.resolve("tsne.png"));
        return report;
    }

    static Map<Integer, Integer> baseClassIndex(Protocol protocol) {
        Map<Integer, Integer> index = new HashMap<>();
        for (int c = 0; c < protocol.classes().size(); c++) {
            if (protocol.classes().get(c).base()) {
                index.put(c, index.size());
            }
        }
        return index;
    }

    static FeatureMatrix matrix(ExtractedFeatures features, List<ProtocolSplit.Sample> samples, Map<Integer, Integer> classIndex) {
        int n = samples.size();
        float[][] image = new float[Math.max(n, 1)][];
        float[][] body = new float[Math.max(n, 1)][];
        float[][] sem = new float[Math.max(n, 1)][];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            PersonFeatures f = features.features().get(samples.get(i).person());
            image[i] = f.image();
            body[i] = f.body();
            sem[i] = f.sem2vec();
            labels[i] = classIndex.get(samples.get(i).label());
        }
        if (n == 0) {
            image[0] = new float[features.imageDim()];
            body[0] = new float[features.bodyDim()];
            sem[0] = new float[features.semDim()];
        }
        return FeatureMatrix.of(image, body, sem, labels);
    }
}
