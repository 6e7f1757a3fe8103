package org.affectdml.registry.service;

import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.affectdml.proto.v1.EmotionClass;
import org.affectdml.proto.v1.ListTaxonomiesResponse;
import org.affectdml.proto.v1.Taxonomy;
import org.affectdml.proto.v1.TaxonomyKind;
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

    public Taxonomy create(Taxonomy request) {
        requireValidName(request.getName());
        Inputs.requireText("taxonomy description", request.getDescription(), MAX_DESCRIPTION, true);
        if (request.getKind() != TaxonomyKind.TAXONOMY_KIND_CATEGORICAL && request.getKind() != TaxonomyKind.TAXONOMY_KIND_LEVEL) {
            throw Errors.invalidArgument("taxonomy kind must be TAXONOMY_KIND_CATEGORICAL or TAXONOMY_KIND_LEVEL");
        }
        if (request.getClassesCount() == 0) {
            throw Errors.invalidArgument("a taxonomy needs at least one class (Classify needs two, each with a support)");
        }
        Set<String> names = new HashSet<>();
        for (EmotionClass c : request.getClassesList()) {
            requireClassName(c.getName());
            Inputs.requireText("description of class " + Inputs.quoted(c.getName()), c.getDescription(), MAX_DESCRIPTION, true);
            if (!names.add(c.getName())) {
                throw Errors.invalidArgument("class " + Inputs.quoted(c.getName()) + " is listed twice");
            }
        }
        return QuarkusTransaction.requiringNew().call(() -> {
            if (taxonomies.findByName(request.getName()).isPresent()) {
                throw Errors.alreadyExists("taxonomy '" + request.getName() + "' exists already");
            }
            TaxonomyEntity t = new TaxonomyEntity();
            t.name = request.getName();
            t.kind = request.getKind().name().substring("TAXONOMY_KIND_".length());
            t.description = request.getDescription();
            int position = 0;
            for (EmotionClass c : request.getClassesList()) {
                EmotionClassEntity e = new EmotionClassEntity();
                e.taxonomy = t;
                e.name = c.getName();
                e.description = c.getDescription();
                e.level = c.getLevel();
                e.position = position++;
                t.classes.add(e);
            }
            taxonomies.persist(t);
            return ProtoMapping.taxonomy(t, Map.of());
        });
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

    /** Deletes the taxonomy with its classes, samples and embeddings in one transaction; returns how many supports it had. */
    public int delete(String name) {
        return QuarkusTransaction.requiringNew().call(() -> {
            TaxonomyEntity t = require(name);
            int count = (int) supports.countOfTaxonomy(t.id);
            taxonomies.deleteWithContents(t.id);
            return count;
        });
    }

    /** The named taxonomy, within the caller's transaction; INVALID_ARGUMENT for a name no taxonomy can have, else NOT_FOUND. */
    public TaxonomyEntity require(String name) {
        requireValidName(name);
        return taxonomies.findByName(name).orElseThrow(() -> Errors.notFound("taxonomy '" + name + "' does not exist"));
    }

    private static void requireValidName(String name) {
        if (!TAXONOMY_NAME.matcher(name).matches()) {
            throw Errors.invalidArgument("taxonomy name " + Inputs.quoted(name)
                    + " must be 1-64 characters of a-z, 0-9, '.', '_', '-' starting with a letter or digit");
        }
    }

    /** The taxonomy's class of that name; NOT_FOUND naming the classes there are otherwise. */
    /** A class name as any request may carry one: 1-64 printable characters. */
    static String requireClassName(String name) {
        if (name.isBlank() || name.length() > MAX_CLASS_NAME) {
            throw Errors.invalidArgument("class name " + Inputs.quoted(name) + " must be 1-" + MAX_CLASS_NAME + " characters");
        }
        return Inputs.requireText("class name", name, MAX_CLASS_NAME, false);
    }

    public static EmotionClassEntity requireClass(TaxonomyEntity t, String className) {
        requireClassName(className);
        return t.classes.stream().filter(c -> c.name.equals(className)).findFirst()
                .orElseThrow(() -> Errors.notFound("taxonomy '" + t.name + "' has no class " + Inputs.quoted(className) + " (classes: "
                        + t.classes.stream().map(c -> c.name).toList() + ")"));
    }
}
