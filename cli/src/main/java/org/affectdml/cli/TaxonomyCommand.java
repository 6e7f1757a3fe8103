package org.affectdml.cli;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import org.affectdml.proto.v1.CreateTaxonomyRequest;
import org.affectdml.proto.v1.DeleteTaxonomyRequest;
import org.affectdml.proto.v1.EmotionClass;
import org.affectdml.proto.v1.GetReembeddingStatusRequest;
import org.affectdml.proto.v1.GetTaxonomyRequest;
import org.affectdml.proto.v1.ListTaxonomiesRequest;
import org.affectdml.proto.v1.ListTaxonomiesResponse;
import org.affectdml.proto.v1.Taxonomy;
import org.affectdml.proto.v1.TaxonomyAdminGrpc;
import org.affectdml.proto.v1.TaxonomyKind;
import org.affectdml.proto.v1.RejectionRule;
import org.affectdml.proto.v1.RecommendedThreshold;
import org.affectdml.proto.v1.EvaluateTaxonomyRequest;
import org.affectdml.proto.v1.EvaluationJob;
import org.affectdml.proto.v1.EvaluationJobState;
import org.affectdml.proto.v1.GetEvaluationJobRequest;
import org.affectdml.proto.v1.TaxonomyEvaluation;
import org.affectdml.proto.v1.UpdateTaxonomyRequest;
import picocli.CommandLine;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;

/** affect taxonomy create|update|evaluate|list|get|delete|reembedding (admin key). */
@CommandLine.Command(name = "taxonomy", mixinStandardHelpOptions = true, description = "Manage taxonomies (admin key).",
        subcommands = {TaxonomyCommand.Create.class, TaxonomyCommand.Update.class, TaxonomyCommand.Evaluate.class})
public class TaxonomyCommand {

    /** Runs one admin call and prints its result, or the status on failure. */
    static int admin(RegistryOptions registry, Function<TaxonomyAdminGrpc.TaxonomyAdminBlockingStub, String> call) {
        ManagedChannel channel = registry.channel();
        try {
            System.out.println(call.apply(registry.authorized(TaxonomyAdminGrpc.newBlockingStub(channel))));
            return 0;
        } catch (StatusRuntimeException e) {
            return Endpoints.fail(e);
        } finally {
            channel.shutdownNow();
        }
    }

    static String describe(Taxonomy t) {
        StringBuilder b = new StringBuilder(String.format("%s (%s, revision %d)%s%n", t.getName(),
                t.getKind().name().replace("TAXONOMY_KIND_", "").toLowerCase(), t.getRevision(),
                t.getDescription().isEmpty() ? "" : ": " + t.getDescription()));
        for (EmotionClass c : t.getClassesList()) {
            b.append(String.format("  %-24s %d support(s)%n", c.getName(), c.getSupportCount()));
        }
        if (t.hasRejection()) {
            var r = t.getRejection();
            b.append(String.format(java.util.Locale.ROOT, "  rejection: max distance %s, min margin %s%s (model %s, %s)%n",
                    r.getMaxDistance() == 0 ? "none" : r.getMaxDistance(), r.getMinMargin() == 0 ? "none" : r.getMinMargin(),
                    r.getClassMaxDistanceCount() == 0 ? "" : ", per class " + r.getClassMaxDistanceMap(), r.getModelVersion(),
                    r.getScoring().name().replace("SCORING_RULE_", "").toLowerCase()));
        }
        if (t.hasTemperature()) {
            var temperature = t.getTemperature();
            b.append(String.format(java.util.Locale.ROOT, "  temperature: %s, fitted on its held-out answers (model %s, %s)%n",
                    temperature(temperature.getValue()), temperature.getModelVersion(), temperature.getScoring().name().replace("SCORING_RULE_", "").toLowerCase()));
        }
        return b.toString().stripTrailing();
    }

    @CommandLine.Command(name = "create", mixinStandardHelpOptions = true, description = "Create a taxonomy with its classes.")
    static class Create implements Callable<Integer> {
        @CommandLine.Mixin
        RegistryOptions registry;
        @CommandLine.Parameters(index = "0", description = "name: a-z, 0-9, '.', '_', '-'")
        String name;
        @CommandLine.Option(names = "--class", required = true, description = "a class name; repeat for each class")
        List<String> classes;
        @CommandLine.Option(names = "--kind", defaultValue = "categorical", description = "categorical or level")
        String kind;
        @CommandLine.Option(names = "--description", defaultValue = "")
        String description;

        @Override
        public Integer call() {
            Taxonomy.Builder t = Taxonomy.newBuilder().setName(name).setDescription(description)
                    .setKind("level".equalsIgnoreCase(kind) ? TaxonomyKind.TAXONOMY_KIND_LEVEL : TaxonomyKind.TAXONOMY_KIND_CATEGORICAL);
            classes.forEach(c -> t.addClasses(EmotionClass.newBuilder().setName(c)));
            return admin(registry, s -> describe(WriteRetries.withRequestId(id ->
                    s.createTaxonomy(CreateTaxonomyRequest.newBuilder().setTaxonomy(t).setRequestId(id).build()))));
        }
    }

    @CommandLine.Command(name = "update", mixinStandardHelpOptions = true,
            description = "Change a taxonomy at its current revision: description, classes, rejection rule.")
    static class Update implements Callable<Integer> {
        @CommandLine.Mixin
        RegistryOptions registry;
        @CommandLine.Parameters(index = "0", paramLabel = "NAME")
        String name;
        @CommandLine.Option(names = "--revision", description = "the revision your change is based on (default: the current one)")
        Long revision;
        @CommandLine.Option(names = "--description")
        String description;
        @CommandLine.Option(names = "--add-class", description = "a class to add; repeat")
        List<String> addClasses = List.of();
        @CommandLine.Option(names = "--remove-class", description = "a class to remove with its supports; repeat")
        List<String> removeClasses = List.of();
        @CommandLine.Option(names = "--max-distance", description = "reject a query whose best class is farther (cosine distance)")
        Float maxDistance;
        @CommandLine.Option(names = "--min-margin", description = "reject a query whose best two classes are nearer than this")
        Float minMargin;
        @CommandLine.Option(names = "--class-max-distance", description = "CLASS=DISTANCE, a class's own threshold; repeat")
        java.util.Map<String, Float> classMaxDistance = java.util.Map.of();
        @CommandLine.Option(names = "--clear-rejection", description = "remove the rejection rule")
        boolean clearRejection;
        @CommandLine.Option(names = "--confirm-rejection", description = "bind the rule to the model version served now")
        boolean confirmRejection;
        @CommandLine.Option(names = "--apply-threshold", description = "best-f1 or false-accept: the latest evaluation's recommendation")
        String applyThreshold;
        @CommandLine.Option(names = "--apply-temperature", description = "use the temperature the latest evaluation fitted for Classify's probabilities")
        boolean applyTemperature;
        @CommandLine.Option(names = "--clear-temperature", description = "remove the taxonomy's temperature (the bundle's or the configured one applies)")
        boolean clearTemperature;

        @Override
        public Integer call() {
            return admin(registry, s -> {
                long at = revision != null ? revision : s.getTaxonomy(GetTaxonomyRequest.newBuilder().setName(name).build()).getRevision();
                UpdateTaxonomyRequest.Builder u = UpdateTaxonomyRequest.newBuilder().setName(name).setExpectedRevision(at)
                        .addAllRemoveClasses(removeClasses).setClearRejection(clearRejection).setConfirmRejection(confirmRejection)
                        .setApplyTemperature(applyTemperature).setClearTemperature(clearTemperature);
                if (description != null) {
                    u.setDescription(description);
                }
                addClasses.forEach(c -> u.addAddClasses(EmotionClass.newBuilder().setName(c)));
                if (applyThreshold != null) {
                    u.setApplyThreshold("best-f1".equals(applyThreshold) ? RecommendedThreshold.RECOMMENDED_THRESHOLD_BEST_F1
                            : "false-accept".equals(applyThreshold) ? RecommendedThreshold.RECOMMENDED_THRESHOLD_FALSE_ACCEPT_RATE
                            : RecommendedThreshold.UNRECOGNIZED);
                }
                if (maxDistance != null || minMargin != null || !classMaxDistance.isEmpty()) {
                    u.setRejection(RejectionRule.newBuilder().setMaxDistance(maxDistance == null ? 0 : maxDistance)
                            .setMinMargin(minMargin == null ? 0 : minMargin).putAllClassMaxDistance(classMaxDistance));
                }
                return describe(WriteRetries.withRequestId(id -> s.updateTaxonomy(u.setRequestId(id).build())));
            });
        }
    }

    @CommandLine.Command(name = "evaluate", mixinStandardHelpOptions = true,
            description = {"Evaluate a taxonomy: accuracy, per-class precision and recall, the confusion matrix and the recommended "
                    + "rejection thresholds.",
                    "Without --queries: leave-one-out over its supports. With --queries: the labelled query images of a CSV manifest "
                            + "(image,x1,y1,x2,y2,class; an empty class = a person of none of the classes), uploaded as an evaluation "
                            + "job whose progress is shown."})
    static class Evaluate implements Callable<Integer> {
        @CommandLine.Mixin
        RegistryOptions registry;
        @CommandLine.Parameters(index = "0", paramLabel = "NAME")
        String name;
        @CommandLine.Option(names = "--target-false-accept-rate", defaultValue = "0.05")
        float target;
        @CommandLine.Option(names = "--queries", paramLabel = "MANIFEST.csv", description = "labelled query images to evaluate on")
        Path queries;
        @CommandLine.Option(names = "--json", description = "print the evaluation as JSON (affect.v1.TaxonomyEvaluation)")
        boolean json;
        @CommandLine.Option(names = "--poll-interval-ms", defaultValue = "500", description = "how often to ask for the job's progress")
        long pollMillis;

        @Override
        public Integer call() throws Exception {
            if (queries == null) {
                return admin(registry, s -> print(s.evaluateTaxonomy(EvaluateTaxonomyRequest.newBuilder().setName(name)
                        .setTargetFalseAcceptRate(target).build())));
            }
            List<LabelledQueryUpload.Entry> entries = LabelledQueryUpload.readManifest(queries);
            ManagedChannel channel = registry.channel();
            try {
                var blocking = registry.authorized(TaxonomyAdminGrpc.newBlockingStub(channel));
                int every = Math.max(1, entries.size() / 10);
                EvaluationJob job = LabelledQueryUpload.upload(registry.authorized(TaxonomyAdminGrpc.newStub(channel)), name, target,
                        entries.size(), i -> LabelledQueryUpload.query(entries.get(i)), sent -> {
                            if (sent % every == 0 || sent == entries.size()) {
                                System.err.printf("uploaded %d/%d%n", sent, entries.size());
                            }
                        });
                System.err.println("evaluation job " + job.getId());
                job = awaitEnd(blocking, job, pollMillis, true);
                if (job.getState() != EvaluationJobState.EVALUATION_JOB_STATE_SUCCEEDED) {
                    System.err.println("error: evaluation job " + job.getId() + " failed: " + job.getError());
                    return 1;
                }
                System.out.println(print(job.getEvaluation()));
                return 0;
            } catch (StatusRuntimeException e) {
                return Endpoints.fail(e);
            } finally {
                channel.shutdownNow();
            }
        }

        /** Polls the job until it ends; with {@code verbose} each change of progress goes to stderr. */
        static EvaluationJob awaitEnd(TaxonomyAdminGrpc.TaxonomyAdminBlockingStub admin, EvaluationJob job, long pollMillis,
                                      boolean verbose) throws InterruptedException {
            int shown = -1;
            while (job.getState() == EvaluationJobState.EVALUATION_JOB_STATE_QUEUED
                    || job.getState() == EvaluationJobState.EVALUATION_JOB_STATE_RUNNING) {
                if (verbose && job.getQueriesDone() != shown) {
                    shown = job.getQueriesDone();
                    System.err.printf("%s: %d/%d queries embedded (%d skipped)%n", job.getState().name()
                            .replace("EVALUATION_JOB_STATE_", "").toLowerCase(), shown, job.getQueriesTotal(), job.getQueriesSkipped());
                }
                Thread.sleep(pollMillis);
                job = admin.getEvaluationJob(GetEvaluationJobRequest.newBuilder().setId(job.getId()).build());
            }
            return job;
        }

        private String print(TaxonomyEvaluation e) {
            try {
                return json ? com.google.protobuf.util.JsonFormat.printer().print(e) : report(e);
            } catch (com.google.protobuf.InvalidProtocolBufferException x) {
                throw new IllegalStateException(x);
            }
        }

        static String report(TaxonomyEvaluation e) {
            boolean labelled = e.getSource() == org.affectdml.proto.v1.EvaluationSource.EVALUATION_SOURCE_LABELLED_QUERIES;
            StringBuilder b = new StringBuilder(String.format(java.util.Locale.ROOT,
                    "%s revision %d, model %s: %d %s queries (+%d of no class%s), accuracy %.3f, balanced accuracy %.3f%n",
                    e.getTaxonomy(), e.getTaxonomyRevision(), e.getModelVersion(), e.getQueries(), labelled ? "labelled" : "leave-one-out",
                    e.getUnknownQueries(), e.getSkippedQueries() == 0 ? "" : ", " + e.getSkippedQueries() + " skipped",
                    e.getAccuracy(), e.getBalancedAccuracy()));
            b.append(String.format("%-24s %8s %7s %9s %7s   confusion (answered as: %s)%n", "class", "supports", "queries", "precision",
                    "recall", String.join(" ", e.getClassesList().stream().map(c -> c.getClassName()).toList())));
            for (int i = 0; i < e.getClassesCount(); i++) {
                var c = e.getClasses(i);
                b.append(String.format(java.util.Locale.ROOT, "%-24s %8d %7d %9.3f %7.3f   %s%n", c.getClassName(), c.getSupports(),
                        c.getQueries(), c.getPrecision(), c.getRecall(), e.getConfusion(i).getCountsList()));
            }
            for (var error : e.getQueryErrorsList()) {
                b.append(String.format("skipped query %d: %s%n", error.getIndex(), error.getMessage()));
            }
            b.append(String.format(java.util.Locale.ROOT, "best-F1 threshold %.4f (F1 %.3f); within false-accept rate %.2f: %.4f "
                            + "(false accepts %.3f of %d unknown queries, at most %.3f at 95 %%; true accepts %.3f, at least %.3f); "
                            + "thresholds chosen and scored on the same answers, so the rates are optimistic",
                    e.getBestF1Threshold(), e.getBestF1(), e.getTargetFalseAcceptRate(), e.getFalseAcceptThreshold(), e.getFalseAcceptRate(),
                    e.getUnknownQueries(), e.getFalseAcceptRateUpper95(), e.getTrueAcceptRate(), e.getTrueAcceptRateLower95()));
            if (e.getHeldOutFolds() > 0) {
                b.append(String.format(java.util.Locale.ROOT, "%nheld out (%d folds by image, each scored at thresholds chosen on the others): "
                                + "F1 %.3f; false accepts %.3f of %d unknown queries, at most %.3f at 95 %%; true accepts %.3f of %d, at least %.3f",
                        e.getHeldOutFolds(), e.getHeldOutBestF1(), e.getHeldOutFalseAcceptRate(), e.getHeldOutUnknownQueries(),
                        e.getHeldOutFalseAcceptRateUpper95(), e.getHeldOutTrueAcceptRate(), e.getHeldOutKnownQueries(),
                        e.getHeldOutTrueAcceptRateLower95()));
            } else {
                b.append(String.format("%nheld out: not estimated (fewer than two images)"));
            }
            b.append(calibration(e));
            if (e.getExcludedIdenticalQueries() > 0) {
                b.append(e.getExcludedIdenticalQueries() == 1
                        ? String.format("%n1 labelled query was a support's image byte for byte and was left out")
                        : String.format("%n%d labelled queries were a support's image byte for byte and were left out", e.getExcludedIdenticalQueries()));
            }
            return b.toString();
        }
    }

    /** A temperature to 4 significant digits without trailing zeros (0.1, 0.0001, 0.03712). */
    static String temperature(double t) {
        return Double.isFinite(t) ? new java.math.BigDecimal(t).round(new java.math.MathContext(4)).stripTrailingZeros().toPlainString()
                : String.valueOf(t);
    }

    /** The evaluation's calibration lines: the temperature in force and its error, the fitted one and its held-out error. */
    static String calibration(TaxonomyEvaluation e) {
        if (e.getTemperatureInForce() == 0) {
            return String.format("%ncalibration: not computed (an evaluation made before the registry fitted temperatures)");
        }
        String inForce = String.format(java.util.Locale.ROOT, "%nprobabilities at temperature %s (%s): expected calibration error %.3f over %d answers",
                temperature(e.getTemperatureInForce()), e.getTemperatureInForceSource().name().replace("TEMPERATURE_SOURCE_", "").toLowerCase(java.util.Locale.ROOT),
                e.getEceInForce(), e.getCalibrationAnswers());
        if (Double.isNaN(e.getCalibratedTemperature())) {
            return inForce + String.format("%nno temperature fitted: no fold of photos had answers both in it and outside it to fit and "
                    + "check on (from the supports: for instance one class with supports from three photos; from labelled queries: "
                    + "queries with a class from two photos)");
        }
        return inForce + String.format(java.util.Locale.ROOT, "%nfitted temperature %s: expected calibration error %.3f held out "
                + "(%d folds by image, each at the temperature fitted on the others); apply it with --apply-temperature",
                temperature(e.getCalibratedTemperature()), e.getEceCalibratedHeldOut(), e.getCalibrationFolds())
                + (e.getCalibratedTemperatureAtLowerBound() ? String.format("%n  at the lower end of the search range: every answer was "
                + "right with a margin, so these answers cannot tell how confident to be (add supports from more photos)") : "");
    }

    @CommandLine.Command(name = "list", mixinStandardHelpOptions = true, description = "List taxonomies.")
    int list(@CommandLine.Mixin RegistryOptions registry) {
        return admin(registry, s -> Endpoints.allPages(
                token -> s.listTaxonomies(ListTaxonomiesRequest.newBuilder().setPageSize(200).setPageToken(token).build()),
                page -> page.getTaxonomiesList().stream().map(TaxonomyCommand::describe).toList(),
                ListTaxonomiesResponse::getNextPageToken, "(no taxonomies)"));
    }

    @CommandLine.Command(name = "get", mixinStandardHelpOptions = true, description = "Show a taxonomy.")
    int get(@CommandLine.Mixin RegistryOptions registry, @CommandLine.Parameters(paramLabel = "NAME") String name) {
        return admin(registry, s -> describe(s.getTaxonomy(GetTaxonomyRequest.newBuilder().setName(name).build())));
    }

    @CommandLine.Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a taxonomy and its supports.")
    int delete(@CommandLine.Mixin RegistryOptions registry, @CommandLine.Parameters(paramLabel = "NAME") String name) {
        return admin(registry, s -> "deleted " + name + " with "
                + WriteRetries.withRequestId(id -> s.deleteTaxonomy(DeleteTaxonomyRequest.newBuilder().setName(name).setRequestId(id).build()))
                .getDeletedSupports() + " support(s)");
    }

    @CommandLine.Command(name = "reembedding", mixinStandardHelpOptions = true, description = "Progress of re-embedding supports with the active model.")
    int reembedding(@CommandLine.Mixin RegistryOptions registry) {
        return admin(registry, s -> {
            var r = s.getReembeddingStatus(GetReembeddingStatusRequest.getDefaultInstance());
            return String.format("model %s: %d of %d supports embedded, %d of %d taxonomies ready%s%s", r.getTargetModelVersion(),
                    r.getSamplesDone(), r.getSamplesTotal(), r.getTaxonomiesReady(), r.getTaxonomiesTotal(),
                    r.getRunning() ? " (running)" : "", r.getLastError().isEmpty() ? "" : "; last error: " + r.getLastError());
        });
    }
}
