package org.affectdml.registry.service;

import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.affectdml.proto.v1.ModelInfo;
import org.affectdml.registry.client.EmbeddingClient;
import org.affectdml.registry.repository.SupportEmbeddingRepository;
import org.affectdml.registry.repository.SupportRepository;
import org.affectdml.registry.repository.TaxonomyRepository;

import org.affectdml.service.errors.Errors;

import java.util.ArrayList;
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
    EmbeddingClient embeddings;
    @Inject
    TaxonomyRepository taxonomies;
    @Inject
    SupportRepository supports;
    @Inject
    SupportEmbeddingRepository supportEmbeddings;

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

    /**
     * As {@link #pick}, FAILED_PRECONDITION when no candidate is complete; {@code whatToDo} ends the message
     * (e.g. "re-embedding is in progress (GetReembeddingStatus)").
     */
    public String requirePick(String taxonomy, List<String> candidates, String whatToDo) {
        return pick(taxonomy, candidates).orElseThrow(() -> Errors.failedPrecondition("taxonomy '" + taxonomy
                + "' is not yet fully embedded with any model version embedding-service serves " + candidates + "; " + whatToDo));
    }

    /** Within the caller's transaction: the first candidate every support of the taxonomy has an embedding of. */
    public Optional<String> pick(String taxonomy, List<String> candidates) {
        long samples = taxonomies.findByName(taxonomy).map(t -> supports.countOfTaxonomy(t.id)).orElse(0L);
        Map<String, Long> embedded = supportEmbeddings.countsByVersion(taxonomy);
        return candidates.stream().filter(v -> embedded.getOrDefault(v, 0L) == samples).findFirst();
    }
}
