package org.affectdml.registry.service;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.affectdml.registry.RegistryConfig;
import org.affectdml.registry.model.TaxonomyEntity;
import org.affectdml.registry.repository.TaxonomyRepository;
import org.hibernate.Hibernate;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Taxonomies as Classify last read them (classes, positions, thresholds, rejection rule), kept by id and revision so a
 * Classify reads its taxonomy only when the revision its search statement returns is not the one kept; and the check
 * before embedding as last read, by name, so a common Classify makes its one search statement and nothing else (the
 * statement tells whether the check still holds: {@link TaxonomyRepository.Classifiability#holdsAt}). Every change of
 * a taxonomy raises its revision (TaxonomyEntity.touch), on whichever replica it is made, and the revision comes from
 * the same statement as the distances: an answer never combines distances with another revision's classes or rules.
 * A kept entity is detached and never changed again; writers work on their own managed copies.
 */
@ApplicationScoped
public class ClassifiedTaxonomies {

    @Inject
    RegistryConfig config;

    private final ConcurrentHashMap<Long, TaxonomyEntity> byId = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, TaxonomyRepository.Classifiability> checks = new ConcurrentHashMap<>();

    /** The check as last read for the taxonomy of this name, if any: to be confirmed by the search statement. */
    public Optional<TaxonomyRepository.Classifiability> check(String name) {
        return Optional.ofNullable(checks.get(name));
    }

    public void keepCheck(String name, TaxonomyRepository.Classifiability check) {
        if (checks.size() >= config.classifiedTaxonomiesKept() && !checks.containsKey(name)) {
            checks.clear();  // as for the taxonomies: rare, start over
        }
        checks.put(name, check);
    }

    /** Forgets a check the search statement found out of date. */
    public void forgetCheck(String name, TaxonomyRepository.Classifiability check) {
        checks.remove(name, check);
    }

    /** The taxonomy kept at exactly this revision. */
    public Optional<TaxonomyEntity> at(long id, long revision) {
        TaxonomyEntity t = byId.get(id);
        return t != null && t.revision == revision ? Optional.of(t) : Optional.empty();
    }

    /** Keeps {@code t}: read with its classes initialised, in a transaction that has ended (so it is detached). */
    public void keep(TaxonomyEntity t) {
        if (!Hibernate.isInitialized(t.classes)) {
            throw new IllegalArgumentException("taxonomy " + t.id + " is kept with its classes loaded");
        }
        if (byId.size() >= config.classifiedTaxonomiesKept() && !byId.containsKey(t.id)) {
            byId.clear();  // rare (more taxonomies in use than kept): start over rather than track recency on every call
        }
        byId.merge(t.id, t, (kept, read) -> read.revision >= kept.revision ? read : kept);
    }
}
