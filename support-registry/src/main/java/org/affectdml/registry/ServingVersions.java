package org.affectdml.registry;

import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import org.affectdml.proto.v1.ModelInfo;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which model version a taxonomy is served with: the active one once every support of the taxonomy has an
 * embedding of it, else the version embedding-service replaced (still loaded there) if the taxonomy is
 * complete in that one. Versions are never mixed within one answer.
 */
@ApplicationScoped
public class ServingVersions {

    @Inject
    EntityManager em;
    @Inject
    EmbeddingClient embeddings;

    /** The versions embedding-service can embed with now, preferred first. */
    public List<String> candidates() {
        ModelInfo model = embeddings.model();
        List<String> versions = new ArrayList<>(List.of(model.getVersion()));
        if (!model.getPreviousVersion().isEmpty()) {
            versions.add(model.getPreviousVersion());
        }
        return versions;
    }

    /** The version to serve the taxonomy with, empty when it is complete in none of the candidates. */
    public Optional<String> servingVersion(String taxonomy) {
        List<String> candidates = candidates();
        return QuarkusTransaction.requiringNew().call(() -> pick(taxonomy, candidates));
    }

    /** Within the caller's transaction. */
    @SuppressWarnings("unchecked")
    Optional<String> pick(String taxonomy, List<String> candidates) {
        Number samples = (Number) em.createNativeQuery(
                        "SELECT count(*) FROM support_sample s JOIN taxonomy t ON t.id = s.taxonomy_id WHERE t.name = ?1")
                .setParameter(1, taxonomy).getSingleResult();
        Map<String, Long> embedded = new HashMap<>();
        List<Object[]> rows = em.createNativeQuery("""
                        SELECT e.model_version, count(*) FROM support_embedding e JOIN taxonomy t ON t.id = e.taxonomy_id
                        WHERE t.name = ?1 GROUP BY e.model_version""")
                .setParameter(1, taxonomy).getResultList();
        for (Object[] row : rows) {
            embedded.put((String) row[0], ((Number) row[1]).longValue());
        }
        for (String v : candidates) {
            if (embedded.getOrDefault(v, 0L) == samples.longValue()) {
                return Optional.of(v);
            }
        }
        return Optional.empty();
    }
}
