package org.affectdml.registry.repository;

import com.google.protobuf.InvalidProtocolBufferException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import org.affectdml.proto.v1.TaxonomyEvaluation;

import java.util.List;
import java.util.Optional;

/** Stored EvaluateTaxonomy results, newest first. Within the caller's transaction. */
@ApplicationScoped
public class TaxonomyEvaluationRepository {

    @Inject
    EntityManager em;

    /** Stores the evaluation; returns its id. */
    public long store(long taxonomyId, TaxonomyEvaluation evaluation) {
        return ((Number) em.createNativeQuery("""
                        INSERT INTO taxonomy_evaluation (taxonomy_id, revision, model_version, scoring, report)
                        VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id""")
                .setParameter(1, taxonomyId).setParameter(2, evaluation.getTaxonomyRevision())
                .setParameter(3, evaluation.getModelVersion()).setParameter(4, evaluation.getScoring().name())
                .setParameter(5, evaluation.toByteArray()).getSingleResult()).longValue();
    }

    public Optional<TaxonomyEvaluation> byId(long id) {
        @SuppressWarnings("unchecked")
        List<byte[]> rows = em.createNativeQuery("SELECT report FROM taxonomy_evaluation WHERE id = ?1").setParameter(1, id).getResultList();
        return rows.stream().findFirst().map(r -> parse(r, "evaluation " + id));
    }

    public Optional<TaxonomyEvaluation> latest(long taxonomyId) {
        @SuppressWarnings("unchecked")
        List<byte[]> rows = em.createNativeQuery("SELECT report FROM taxonomy_evaluation WHERE taxonomy_id = ?1 ORDER BY created DESC, id DESC LIMIT 1")
                .setParameter(1, taxonomyId).getResultList();
        return rows.stream().findFirst().map(r -> parse(r, "latest evaluation of taxonomy " + taxonomyId));
    }

    private static TaxonomyEvaluation parse(byte[] report, String what) {
        try {
            return TaxonomyEvaluation.parseFrom(report);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("stored " + what + " is unreadable", e);
        }
    }
}
