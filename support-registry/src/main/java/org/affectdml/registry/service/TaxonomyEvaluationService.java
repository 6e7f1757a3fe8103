package org.affectdml.registry.service;

import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.affectdml.proto.v1.ClassFigures;
import org.affectdml.proto.v1.ConfusionRow;
import org.affectdml.proto.v1.EvaluateTaxonomyRequest;
import org.affectdml.proto.v1.EvaluationSource;
import org.affectdml.proto.v1.QueryError;
import org.affectdml.proto.v1.ScoringRule;
import org.affectdml.proto.v1.TaxonomyEvaluation;
import org.affectdml.registry.RegistryConfig;
import org.affectdml.registry.model.EmotionClassEntity;
import org.affectdml.registry.model.SupportEmbeddingEntity;
import org.affectdml.registry.model.TaxonomyEntity;
import org.affectdml.registry.repository.SupportEmbeddingRepository;
import org.affectdml.registry.repository.TaxonomyEvaluationRepository;
import org.affectdml.service.errors.Errors;

import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Evaluations of a taxonomy in the version it is served with: EvaluateTaxonomy's leave-one-out over the supports
 * ({@link LeaveOneOutEvaluator}), and the figures of labelled queries a job answered ({@link EvaluationJobService}),
 * each stored with the revision, version and scoring rule it was computed on.
 */
@ApplicationScoped
public class TaxonomyEvaluationService {

    private static final float DEFAULT_TARGET_FALSE_ACCEPT_RATE = 0.05f;

    @Inject
    TaxonomyService taxonomies;
    @Inject
    ServingVersions versions;
    @Inject
    SupportEmbeddingRepository embeddings;
    @Inject
    TaxonomyEvaluationRepository evaluations;
    @Inject
    RegistryConfig config;
    @Inject
    org.affectdml.registry.repository.SupportRepository samples;

    /**
     * What an evaluation compares with, read in one transaction: the taxonomy as it was, the version it is served
     * with, and its supports' embeddings of that version.
     */
    record Scope(long taxonomyId, String taxonomy, long revision, List<String> classNames, String version,
                 LeaveOneOutEvaluator.Supports supports, int[] supportsPerClass, Temperatures.Chosen temperatureInForce) {
        int classIndex(String className) {
            return classNames.indexOf(className);
        }
    }

    public TaxonomyEvaluation evaluate(EvaluateTaxonomyRequest request) {
        float target = targetFalseAcceptRate(request.getTargetFalseAcceptRate());
        Scope scope = scope(request.getName());
        TaxonomyEvaluation evaluation = ofSupports(scope, target);
        if (evaluation.getQueries() == 0) {
            throw Errors.failedPrecondition("taxonomy '" + scope.taxonomy() + "' has no class with two supports: leave-one-out has "
                    + "nothing to ask (add a second support to a class)");
        }
        QuarkusTransaction.requiringNew().run(() -> store(scope, evaluation));
        return evaluation;
    }

    /** Stores an evaluation of the scope in the caller's transaction; NOT_FOUND when the taxonomy went meanwhile. Returns its id. */
    long store(Scope scope, TaxonomyEvaluation evaluation) {
        TaxonomyEntity t = taxonomies.require(scope.taxonomy());
        if (t.id != scope.taxonomyId()) {
            throw Errors.notFound("taxonomy '" + scope.taxonomy() + "' was deleted while it was evaluated");
        }
        return evaluations.store(t.id, evaluation);
    }

    /** 0 means the default (0.05); otherwise strictly between 0 and 1. */
    static float targetFalseAcceptRate(float requested) {
        float target = requested == 0 ? DEFAULT_TARGET_FALSE_ACCEPT_RATE : requested;
        if (!(target > 0 && target < 1)) {
            throw Errors.invalidArgument("target_false_accept_rate must be in (0, 1) (0 = 0.05), got " + requested);
        }
        return target;
    }

    /** The taxonomy, its served version and its supports, in one snapshot; FAILED_PRECONDITION when it cannot be evaluated. */
    Scope scope(String name) {
        List<String> candidates = versions.fresh();  // what is served now: an evaluation is bound to it
        return QuarkusTransaction.requiringNew().call(() -> {
            TaxonomyEntity t = taxonomies.require(name);
            String version = versions.requirePick(t.name, candidates, "wait for re-embedding (GetReembeddingStatus)");
            List<SupportEmbeddingEntity> rows = embeddings.list("taxonomyId = ?1 and key.modelVersion = ?2", t.id, version);
            int max = config.evaluation().maxSupports();
            if (rows.size() > max) {
                throw Errors.failedPrecondition("taxonomy '" + t.name + "' has " + rows.size() + " supports; an evaluation holds at most "
                        + max + " in memory (affect.registry.evaluation.max-supports)");
            }
            Map<Long, Integer> index = new HashMap<>();
            for (EmotionClassEntity c : t.classes) {
                index.put(c.id, index.size());
            }
            Map<java.util.UUID, String> imageOf = samples.imageShasOf(t.id);
            float[][] vectors = new float[rows.size()][];
            int[] classOf = new int[rows.size()];
            String[] images = new String[rows.size()];
            int[] perClass = new int[t.classes.size()];
            for (int i = 0; i < rows.size(); i++) {
                vectors[i] = rows.get(i).embedding;
                classOf[i] = index.get(rows.get(i).classId);
                images[i] = imageOf.get(rows.get(i).key.sampleId);
                perClass[classOf[i]]++;
            }
            Temperatures.Chosen temperature = Temperatures.choose(t, version, ScoringRule.SCORING_RULE_NEAREST_SUPPORT,
                    versions.bundleTemperature(version), config.temperature());
            return new Scope(t.id, t.name, t.revision, t.classes.stream().map(c -> c.name).toList(), version,
                    new LeaveOneOutEvaluator.Supports(vectors, classOf, t.classes.size(), images), perClass, temperature);
        });
    }

    /** The figures of answered labelled queries; skipped ones are reported with (at most 20 of) their reasons. */
    TaxonomyEvaluation ofLabelledQueries(Scope scope, List<EvaluationFigures.Answer> answers, List<TemperatureFit.Answer> known,
                                         float target, int skipped, List<QueryError> errors, int excludedIdentical) {
        return message(scope, EvaluationSource.EVALUATION_SOURCE_LABELLED_QUERIES, target,
                EvaluationFigures.of(answers, scope.classNames().size(), target),
                TemperatureFit.fit(TemperatureFit.ofQueries(known, EvaluationFigures.HELD_OUT_FOLDS), scope.temperatureInForce()), skipped, errors).toBuilder()
                .setExcludedIdenticalQueries(excludedIdentical).build();
    }

    /** The leave-one-out evaluation of the scope's supports (what a job without queries computes). */
    TaxonomyEvaluation ofSupports(Scope scope, float target) {
        return message(scope, EvaluationSource.EVALUATION_SOURCE_SUPPORTS, target, LeaveOneOutEvaluator.evaluate(scope.supports(), target),
                TemperatureFit.fit(TemperatureFit.ofSupports(scope.supports(), EvaluationFigures.HELD_OUT_FOLDS), scope.temperatureInForce()),
                0, List.of());
    }

    private static TaxonomyEvaluation message(Scope scope, EvaluationSource source, float target, EvaluationFigures.Report r,
                                              TemperatureFit.Figures calibration, int skipped, List<QueryError> errors) {
        TaxonomyEvaluation.Builder e = TaxonomyEvaluation.newBuilder().setTaxonomy(scope.taxonomy()).setTaxonomyRevision(scope.revision())
                .setModelVersion(scope.version()).setScoring(ScoringRule.SCORING_RULE_NEAREST_SUPPORT).setCreated(OffsetDateTime.now().toString())
                .setSource(source).setQueries(r.queries()).setUnknownQueries(r.unknownDistances().length)
                .setSkippedQueries(skipped).addAllQueryErrors(errors)
                .setAccuracy(r.accuracy()).setBalancedAccuracy(r.balancedAccuracy())
                .setBestF1Threshold(r.f1Threshold()).setBestF1(r.f1()).setTargetFalseAcceptRate(target)
                .setFalseAcceptThreshold(r.falseAcceptThreshold()).setFalseAcceptRate(r.falseAcceptRate())
                .setTrueAcceptRate(r.trueAcceptRate())
                .setFalseAcceptRateUpper95(r.falseAcceptUpper95()).setTrueAcceptRateLower95(r.trueAcceptLower95())
                .setHeldOutFolds(r.heldOut().folds()).setHeldOutBestF1(r.heldOut().f1())
                .setHeldOutFalseAcceptRate(r.heldOut().falseAcceptRate()).setHeldOutFalseAcceptRateUpper95(r.heldOut().falseAcceptUpper95())
                .setHeldOutTrueAcceptRate(r.heldOut().trueAcceptRate()).setHeldOutTrueAcceptRateLower95(r.heldOut().trueAcceptLower95())
                .setHeldOutUnknownQueries(r.heldOut().unknowns()).setHeldOutKnownQueries(r.heldOut().known())
                .setCalibrationAnswers(calibration.answers()).setCalibrationFolds(calibration.folds())
                .setCalibratedTemperature(calibration.temperature()).setTemperatureInForce(calibration.inForce().value())
                .setTemperatureInForceSource(calibration.inForce().source()).setEceInForce(calibration.eceInForce())
                .setEceCalibratedHeldOut(calibration.eceHeldOut()).setCalibratedTemperatureAtLowerBound(calibration.atLowerBound());
        for (float d : r.correctDistances()) {
            e.addCorrectDistances(d);
        }
        for (float d : r.wrongDistances()) {
            e.addWrongDistances(d);
        }
        for (float d : r.unknownDistances()) {
            e.addUnknownDistances(d);
        }
        for (int c = 0; c < scope.classNames().size(); c++) {
            String name = scope.classNames().get(c);
            e.addClasses(ClassFigures.newBuilder().setClassName(name).setSupports(scope.supportsPerClass()[c])
                    .setQueries(r.queriesPerClass()[c]).setPrecision(r.precision()[c]).setRecall(r.recall()[c]));
            ConfusionRow.Builder row = ConfusionRow.newBuilder().setClassName(name);
            for (int count : r.confusion()[c]) {
                row.addCounts(count);
            }
            e.addConfusion(row);
        }
        return e.build();
    }
}
