package org.affectdml.registry.service;

import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.affectdml.proto.v1.CreateTaxonomyRequest;
import org.affectdml.proto.v1.DeleteTaxonomyRequest;
import org.affectdml.proto.v1.DeleteTaxonomyResponse;
import org.affectdml.proto.v1.EmotionClass;
import org.affectdml.proto.v1.ListTaxonomiesResponse;
import org.affectdml.proto.v1.Taxonomy;
import org.affectdml.proto.v1.TaxonomyKind;
import org.affectdml.proto.v1.UpdateTaxonomyRequest;
import org.affectdml.proto.v1.RecommendedThreshold;
import org.affectdml.proto.v1.RejectionRule;
import org.affectdml.proto.v1.TaxonomyEvaluation;
import org.affectdml.registry.DatabaseErrors;
import org.affectdml.registry.repository.TaxonomyEvaluationRepository;
import org.affectdml.registry.model.EmotionClassEntity;
import org.affectdml.registry.model.TaxonomyEntity;
import org.affectdml.registry.repository.SupportRepository;
import org.affectdml.registry.repository.TaxonomyRepository;
import org.affectdml.service.errors.Errors;
import org.affectdml.service.errors.Inputs;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** Taxonomies and their classes: the rules for names and kinds, paging, deletion. Every write is one transaction. */
@ApplicationScoped
public class TaxonomyService {

    static final Pattern TAXONOMY_NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    private static final int MAX_CLASS_NAME = 64;
    private static final int MAX_DESCRIPTION = 2000;

    @Inject
    TaxonomyRepository taxonomies;
    @Inject
    SupportRepository supports;
    @Inject
    ServingVersions versions;
    @Inject
    TaxonomyEvaluationRepository evaluations;
    @Inject
    WriteRequests writeRequests;

    public Taxonomy create(Taxonomy request, String requestId) {
        Taxonomy checked = checkedForCreate(request);
        WriteRequests.Key key = writeRequests.key(requestId, "CreateTaxonomy", CreateTaxonomyRequest.newBuilder().setTaxonomy(request).build());
        return QuarkusTransaction.requiringNew().call(() -> writeRequests.once(key, Taxonomy.parser(),
                () -> ProtoMapping.taxonomy(insertNew(checked), Map.of())));
    }

    /** A new taxonomy checked by CreateTaxonomy's rules: INVALID_ARGUMENT, or the taxonomy with its class names as stored (NFC). */
    public Taxonomy checkedForCreate(Taxonomy request) {
        requireValidName(request.getName());
        Inputs.requireText("taxonomy description", request.getDescription(), MAX_DESCRIPTION, true);
        if (request.getKind() != TaxonomyKind.TAXONOMY_KIND_CATEGORICAL && request.getKind() != TaxonomyKind.TAXONOMY_KIND_LEVEL) {
            throw Errors.invalidArgument("taxonomy kind must be TAXONOMY_KIND_CATEGORICAL or TAXONOMY_KIND_LEVEL");
        }
        if (request.getClassesCount() == 0) {
            throw Errors.invalidArgument("a taxonomy needs at least one class (Classify needs two, each with a support)");
        }
        if (request.hasRejection()) {
            throw Errors.invalidArgument("set the rejection rule with UpdateTaxonomy once the classes have supports: its thresholds "
                    + "are distances of a model version");
        }
        if (request.hasTemperature()) {
            throw Errors.invalidArgument("a taxonomy's temperature is fitted by an evaluation and set with UpdateTaxonomy.apply_temperature");
        }
        return request.toBuilder().clearClasses().addAllClasses(requireClasses(request.getClassesList(), "")).build();
    }

    /**
     * Stores a taxonomy {@link #checkedForCreate checked} before, in the caller's transaction; ALREADY_EXISTS when the
     * name is taken, also by a concurrent create that commits first.
     */
    public TaxonomyEntity insertNew(Taxonomy checked) {
        taxonomies.lockName(checked.getName());  // concurrent creates of one name queue here, and the later ones see the first
        if (taxonomies.findByName(checked.getName()).isPresent()) {
            throw alreadyExists(checked.getName());
        }
        TaxonomyEntity t = new TaxonomyEntity();
        t.name = checked.getName();
        t.kind = checked.getKind().name().substring("TAXONOMY_KIND_".length());
        t.description = checked.getDescription();
        int position = 0;
        for (EmotionClass c : checked.getClassesList()) {
            addClass(t, c, position++);
        }
        try {
            taxonomies.persist(t);
            taxonomies.flush();
        } catch (jakarta.persistence.PersistenceException e) {
            if (DatabaseErrors.isUniqueViolation(e)) {  // the name lock makes this rare; kept as the last word
                throw alreadyExists(t.name);
            }
            throw e;
        }
        return t;
    }

    /** Whether a taxonomy of that name exists (for early answers; a write still checks under its lock). */
    public boolean exists(String name) {
        requireValidName(name);
        return QuarkusTransaction.requiringNew().call(() -> taxonomies.findByName(name).isPresent());
    }

    public Taxonomy get(String name) {
        return QuarkusTransaction.requiringNew().call(() -> {
            TaxonomyEntity t = require(name);
            return ProtoMapping.taxonomy(t, taxonomies.supportCountsByClass(t.id));
        });
    }

    /** A page of taxonomies by name; the page token holds the last name of the previous page. */
    public ListTaxonomiesResponse list(int pageSize, String pageToken) {
        int size = Paging.pageSize(pageSize);
        List<String> after = PageTokens.read(pageToken, "taxonomies", "", 1);
        return QuarkusTransaction.requiringNew().call(() -> {
            List<TaxonomyEntity> page = taxonomies.pageAfter(after.isEmpty() ? "" : after.get(0), size + 1);
            ListTaxonomiesResponse.Builder r = ListTaxonomiesResponse.newBuilder();
            for (TaxonomyEntity t : page.subList(0, Math.min(size, page.size()))) {
                r.addTaxonomies(ProtoMapping.taxonomy(t, taxonomies.supportCountsByClass(t.id)));
            }
            if (page.size() > size) {
                r.setNextPageToken(PageTokens.issue("taxonomies", "", page.get(size - 1).name));
            }
            return r.build();
        });
    }

    /**
     * Applies an UpdateTaxonomy in one transaction if the taxonomy is still at the expected revision: description,
     * classes added and removed (with their supports and embeddings), the rejection rule set, cleared or confirmed.
     */
    public Taxonomy update(UpdateTaxonomyRequest request) {
        requireValidName(request.getName());
        if (request.getExpectedRevision() <= 0) {
            throw Errors.invalidArgument("expected_revision is required: the revision your change is based on (GetTaxonomy)");
        }
        if (request.hasDescription()) {
            Inputs.requireText("taxonomy description", request.getDescription(), MAX_DESCRIPTION, true);
        }
        int ruleChanges = (request.hasRejection() ? 1 : 0) + (request.getClearRejection() ? 1 : 0)
                + (request.getApplyThreshold() != RecommendedThreshold.RECOMMENDED_THRESHOLD_UNSPECIFIED ? 1 : 0);
        if (ruleChanges > 1) {
            throw Errors.invalidArgument("set at most one of rejection, clear_rejection and apply_threshold");
        }
        if (request.getApplyTemperature() && request.getClearTemperature()) {
            throw Errors.invalidArgument("set at most one of apply_temperature and clear_temperature");
        }
        if (request.getApplyThreshold() == RecommendedThreshold.UNRECOGNIZED) {
            throw Errors.invalidArgument("apply_threshold is not a RecommendedThreshold this service knows");
        }
        List<EmotionClass> added = requireClasses(request.getAddClassesList(), " in add_classes");
        for (String name : request.getRemoveClassesList()) {
            String removed = classNameToFind(name);
            if (added.stream().anyMatch(c -> c.getName().equals(removed))) {
                throw Errors.invalidArgument("class " + Inputs.quoted(name) + " is both added and removed");
            }
        }
        boolean needsServingVersion = request.getConfirmRejection()
                || request.hasRejection() && request.getRejection().getModelVersion().isEmpty();
        List<String> candidates = needsServingVersion ? versions.fresh() : List.of();  // a rule is bound to what is served now
        WriteRequests.Key key = writeRequests.key(request.getRequestId(), "UpdateTaxonomy", request.toBuilder().clearRequestId().build());
        return QuarkusTransaction.requiringNew().call(() -> writeRequests.once(key, Taxonomy.parser(), () -> {
            TaxonomyEntity t = requireForWrite(request.getName());
            if (t.revision != request.getExpectedRevision()) {
                throw Errors.aborted("taxonomy '" + t.name + "' is at revision " + t.revision + ", not " + request.getExpectedRevision()
                        + ": someone changed it meanwhile; read it again (GetTaxonomy) and reapply your change");
            }
            if (request.hasDescription()) {
                t.description = request.getDescription();
            }
            for (String name : request.getRemoveClassesList()) {
                t.classes.remove(requireClass(t, name));  // orphan removal; the database cascades to supports and embeddings
            }
            int position = t.classes.stream().mapToInt(c -> c.position + 1).max().orElse(0);
            for (EmotionClass c : added) {
                if (t.classes.stream().anyMatch(e -> e.name.equals(c.getName()))) {
                    throw Errors.alreadyExists("taxonomy '" + t.name + "' has a class " + Inputs.quoted(c.getName()) + " already");
                }
                addClass(t, c, position++);
            }
            taxonomies.flush();
            if (request.getClearRejection()) {
                RejectionRules.clear(t);
            }
            if (request.hasRejection()) {
                String version = request.getRejection().getModelVersion().isEmpty()
                        ? servedWith(t, candidates) : request.getRejection().getModelVersion();
                RejectionRules.set(t, request.getRejection(), version);
            }
            if (request.getApplyThreshold() != RecommendedThreshold.RECOMMENDED_THRESHOLD_UNSPECIFIED) {
                applyRecommended(t, request.getExpectedRevision(), request.getApplyThreshold());
            }
            if (request.getConfirmRejection()) {
                RejectionRules.confirm(t, servedWith(t, candidates));
            }
            if (request.getClearTemperature()) {
                Temperatures.clear(t);
            }
            if (request.getApplyTemperature()) {
                applyCalibratedTemperature(t, request.getExpectedRevision());
            }
            t.touch();
            taxonomies.flush();
            return ProtoMapping.taxonomy(t, taxonomies.supportCountsByClass(t.id));
        }));
    }

    /** Valid names and descriptions, each name once (in NFC: two spellings of one name are one name); returns them with NFC names. */
    private static List<EmotionClass> requireClasses(List<EmotionClass> classes, String where) {
        Set<String> names = new HashSet<>();
        List<EmotionClass> checked = new java.util.ArrayList<>();
        for (EmotionClass c : classes) {
            String name = requireClassName(c.getName());
            Inputs.requireText("description of class " + Inputs.quoted(c.getName()), c.getDescription(), MAX_DESCRIPTION, true);
            if (!names.add(name)) {
                throw Errors.invalidArgument("class " + Inputs.quoted(c.getName()) + " is listed twice" + where);
            }
            checked.add(c.toBuilder().setName(name).build());
        }
        return checked;
    }

    private static void addClass(TaxonomyEntity t, EmotionClass c, int position) {
        EmotionClassEntity e = new EmotionClassEntity();
        e.taxonomy = t;
        e.name = c.getName();
        e.description = c.getDescription();
        e.level = c.getLevel();
        e.position = position;
        t.classes.add(e);
    }

    /** The latest evaluation of the taxonomy, which must have been computed at this revision. */
    private TaxonomyEvaluation latestEvaluationAt(TaxonomyEntity t, long revision) {
        TaxonomyEvaluation e = evaluations.latest(t.id).orElseThrow(() -> Errors.failedPrecondition("taxonomy '" + t.name
                + "' has not been evaluated yet (EvaluateTaxonomy)"));
        if (e.getTaxonomyRevision() != revision) {
            throw Errors.failedPrecondition("the latest evaluation of taxonomy '" + t.name + "' was computed at revision "
                    + e.getTaxonomyRevision() + ", not " + revision + "; evaluate it again first");
        }
        return e;
    }

    /** The temperature the latest evaluation (at this revision) fitted, bound to its model version and scoring rule. */
    private void applyCalibratedTemperature(TaxonomyEntity t, long revision) {
        TaxonomyEvaluation e = latestEvaluationAt(t, revision);
        if (!Temperatures.usable(e.getCalibratedTemperature())) {
            throw Errors.failedPrecondition("the latest evaluation of taxonomy '" + t.name + "' fitted no temperature: it had "
                    + e.getCalibrationAnswers() + " answers with a known class in " + e.getCalibrationFolds() + " image folds, and a fit "
                    + "must be checked on photos it was not fitted on (from the supports: for instance one class with supports from "
                    + "three photos; from labelled queries: queries with a class from two photos)");
        }
        Temperatures.set(t, e.getCalibratedTemperature(), e.getModelVersion(), e.getScoring());
    }

    /** The rule's max distance from the latest evaluation, which must have been computed at this revision. */
    private void applyRecommended(TaxonomyEntity t, long revision, RecommendedThreshold which) {
        TaxonomyEvaluation e = latestEvaluationAt(t, revision);
        float threshold = which == RecommendedThreshold.RECOMMENDED_THRESHOLD_BEST_F1 ? e.getBestF1Threshold() : e.getFalseAcceptThreshold();
        if (Float.isNaN(threshold)) {
            throw Errors.failedPrecondition("the evaluation recommends no " + which.name().replace("RECOMMENDED_THRESHOLD_", "").toLowerCase()
                    + " threshold (e.g. no threshold keeps the false accepts within " + e.getTargetFalseAcceptRate() + ")");
        }
        RejectionRule.Builder rule = t.hasRejectionRule() ? RejectionRules.toProto(t).toBuilder() : RejectionRule.newBuilder();
        RejectionRules.set(t, rule.setMaxDistance(Math.max(threshold, Float.MIN_VALUE)).setScoring(e.getScoring()).build(), e.getModelVersion());
    }

    private String servedWith(TaxonomyEntity t, List<String> candidates) {
        return versions.requirePick(t.name, candidates, "give rejection.model_version, or wait for re-embedding (GetReembeddingStatus)");
    }

    /** Deletes the taxonomy with its classes, samples and embeddings in one transaction; answers how many supports it had. */
    public DeleteTaxonomyResponse delete(String name, String requestId) {
        requireValidName(name);
        WriteRequests.Key key = writeRequests.key(requestId, "DeleteTaxonomy", DeleteTaxonomyRequest.newBuilder().setName(name).build());
        return QuarkusTransaction.requiringNew().call(() -> writeRequests.once(key, DeleteTaxonomyResponse.parser(), () -> {
            TaxonomyEntity t = requireForWrite(name);
            int count = (int) supports.countOfTaxonomy(t.id);
            if (!taxonomies.deleteWithContents(t.id)) {
                throw notFound(name);
            }
            return DeleteTaxonomyResponse.newBuilder().setDeletedSupports(count).build();
        }));
    }

    /** The named taxonomy, within the caller's transaction; INVALID_ARGUMENT for a name no taxonomy can have, else NOT_FOUND. */
    public TaxonomyEntity require(String name) {
        requireValidName(name);
        return taxonomies.findByName(name).orElseThrow(() -> notFound(name));
    }

    /**
     * The named taxonomy locked for a write in the caller's transaction (see {@link TaxonomyRepository#findByNameForUpdate}):
     * its revision is the latest committed one and stays so until the transaction ends. Every write calls this first.
     */
    public TaxonomyEntity requireForWrite(String name) {
        requireValidName(name);
        return taxonomies.findByNameForUpdate(name).orElseThrow(() -> notFound(name));
    }

    private static io.grpc.StatusRuntimeException alreadyExists(String name) {
        return Errors.alreadyExists("taxonomy '" + name + "' exists already");
    }

    static io.grpc.StatusRuntimeException notFound(String name) {
        return Errors.notFound("taxonomy '" + name + "' does not exist");
    }

    static void requireValidName(String name) {
        if (!TAXONOMY_NAME.matcher(name).matches()) {
            throw Errors.invalidArgument("taxonomy name " + Inputs.quoted(name)
                    + " must be 1-64 characters of a-z, 0-9, '.', '_', '-' starting with a letter or digit");
        }
    }

    /** A new class name, as stored and compared: NFC, 1-64 characters (code points), nothing invisible, no edge spaces. */
    static String requireClassName(String name) {
        return Inputs.requireName("class name", name, MAX_CLASS_NAME);
    }

    /**
     * A class name that refers to an existing class, as compared: NFC, 1-64 printable characters. Laxer than
     * {@link #requireClassName}, so a class stored before the name rules (with an invisible character, say) can still
     * be found, given supports or removed.
     */
    static String classNameToFind(String name) {
        Inputs.requireWellFormed("class name", name);
        int length = name.codePointCount(0, name.length());
        if (length > MAX_CLASS_NAME) {
            throw Errors.invalidArgument("class name " + Inputs.quoted(name) + " must be 1-" + MAX_CLASS_NAME + " characters (has " + length + ")");
        }
        Inputs.requireText("class name", name, MAX_CLASS_NAME, false);
        String nfc = java.text.Normalizer.normalize(name, java.text.Normalizer.Form.NFC);
        if (nfc.isEmpty()) {
            throw Errors.invalidArgument("class name is empty");
        }
        return nfc;
    }

    /** The taxonomy's class of that name (in any Unicode normalisation form); NOT_FOUND naming the classes there are otherwise. */
    public static EmotionClassEntity requireClass(TaxonomyEntity t, String className) {
        String name = classNameToFind(className);
        return t.classes.stream().filter(c -> c.name.equals(name)).findFirst()
                .orElseThrow(() -> Errors.notFound("taxonomy '" + t.name + "' has no class " + Inputs.quoted(className) + " (classes: "
                        + t.classes.stream().limit(20).map(c -> Inputs.quoted(c.name)).toList() + (t.classes.size() > 20 ? ", ..." : "") + ")"));
    }
}
