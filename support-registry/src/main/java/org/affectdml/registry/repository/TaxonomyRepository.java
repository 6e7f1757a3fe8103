package org.affectdml.registry.repository;

import io.quarkus.hibernate.orm.panache.PanacheRepository;
import jakarta.enterprise.context.ApplicationScoped;
import org.affectdml.registry.model.TaxonomyEntity;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Taxonomies and their classes. Every method runs in the caller's transaction. */
@ApplicationScoped
public class TaxonomyRepository implements PanacheRepository<TaxonomyEntity> {

    public Optional<TaxonomyEntity> findByName(String name) {
        return find("name", name).firstResultOptional();
    }

    /**
     * The taxonomy with its row locked until the caller's transaction ends (SELECT ... FOR NO KEY UPDATE): every
     * write of a taxonomy or its supports takes this lock first, so writers on any replica queue one behind the
     * other, each reads the revision its predecessor committed, and a compare-and-set on it holds. The lock does not
     * block readers, nor inserts of rows that only reference the taxonomy.
     */
    public Optional<TaxonomyEntity> findByNameForUpdate(String name) {
        return find("name", name).withLock(jakarta.persistence.LockModeType.PESSIMISTIC_WRITE).firstResultOptional();
    }

    /**
     * Locks a taxonomy name until the caller's transaction ends (a transaction-scoped advisory lock; creates of
     * different names do not wait for each other).
     */
    public void lockName(String name) {
        AdvisoryLocks.lockUntilTransactionEnds("taxonomy-name", name);
    }

    /** Up to {@code limit} taxonomies named after {@code afterName}, by name (keyset paging). */
    public List<TaxonomyEntity> pageAfter(String afterName, int limit) {
        return find("name > ?1 order by name", afterName).page(0, limit).list();
    }

    /** Support samples per class id of the taxonomy. */
    public Map<Long, Integer> supportCountsByClass(long taxonomyId) {
        Map<Long, Integer> counts = new HashMap<>();
        List<Object[]> rows = rows(getEntityManager().createNativeQuery(
                        "SELECT class_id, count(*) FROM support_sample WHERE taxonomy_id = ?1 GROUP BY class_id")
                .setParameter(1, taxonomyId).getResultList());
        for (Object[] row : rows) {
            counts.put(((Number) row[0]).longValue(), ((Number) row[1]).intValue());
        }
        return counts;
    }

    /** Deletes the taxonomy; classes, samples and embeddings go with it. False when no such taxonomy was there to delete. */
    public boolean deleteWithContents(long taxonomyId) {
        getEntityManager().createNativeQuery("DELETE FROM support_embedding WHERE taxonomy_id = ?1").setParameter(1, taxonomyId).executeUpdate();
        return getEntityManager().createNativeQuery("DELETE FROM taxonomy WHERE id = ?1").setParameter(1, taxonomyId).executeUpdate() == 1;
    }

    /** Taxonomies every support of which has an embedding of {@code version} (empty ones count as complete). */
    public long countCompleteIn(String version) {
        return ((Number) getEntityManager().createNativeQuery("""
                        SELECT count(*) FROM taxonomy t WHERE NOT EXISTS (
                            SELECT 1 FROM support_sample s WHERE s.taxonomy_id = t.id AND NOT EXISTS (
                                SELECT 1 FROM support_embedding e WHERE e.sample_id = s.id AND e.model_version = ?1))""")
                .setParameter(1, version).getSingleResult()).longValue();
    }

    @SuppressWarnings("unchecked")
    /**
     * What Classify checks before embedding, in one statement (so one snapshot without REPEATABLE READ, and one round
     * trip): the taxonomy's id, its number of classes, the classes without any support (in position order), its number
     * of supports, and how many of them have an embedding of each model version. Empty when no such taxonomy exists.
     */
    public Optional<Classifiability> classifiability(String name) {
        List<Object[]> rows = rows(getEntityManager().createNativeQuery("""
                        SELECT t.id, t.revision,
                          (SELECT count(*) FROM emotion_class c WHERE c.taxonomy_id = t.id),
                          (SELECT coalesce(string_agg(c.name, chr(31) ORDER BY c.position), '') FROM emotion_class c
                             WHERE c.taxonomy_id = t.id AND NOT EXISTS (SELECT 1 FROM support_sample s WHERE s.class_id = c.id)),
                          (SELECT count(*) FROM support_sample s WHERE s.taxonomy_id = t.id),
                          (SELECT coalesce(string_agg(v.model_version || chr(31) || v.n, chr(30)), '') FROM
                             (SELECT e.model_version, count(*) AS n FROM support_embedding e WHERE e.taxonomy_id = t.id
                              GROUP BY e.model_version) v)
                        FROM taxonomy t WHERE t.name = ?1""")
                .setParameter(1, name).getResultList());
        if (rows.isEmpty()) {
            return Optional.empty();
        }
        Object[] r = rows.get(0);
        String empty = (String) r[3];
        Map<String, Long> embedded = new HashMap<>();
        String versions = (String) r[5];
        if (!versions.isEmpty()) {
            for (String pair : versions.split("\u001e")) {
                String[] f = pair.split("\u001f");
                embedded.put(f[0], Long.parseLong(f[1]));
            }
        }
        return Optional.of(new Classifiability(((Number) r[0]).longValue(), ((Number) r[1]).longValue(), ((Number) r[2]).intValue(),
                empty.isEmpty() ? List.of() : List.of(empty.split("\u001f")), ((Number) r[4]).longValue(), embedded));
    }

    /** See {@link #classifiability}. */
    public record Classifiability(long id, long revision, int classes, List<String> classesWithoutSupport, long supports,
                                  Map<String, Long> embeddedByVersion) {

        /** The first candidate version every support has an embedding of. */
        public Optional<String> completeIn(List<String> candidates) {
            return candidates.stream().filter(v -> embeddedByVersion.getOrDefault(v, 0L) == supports).findFirst();
        }

        /** The candidates up to and including {@code picked}: their embedding counts decide that {@code picked} is the pick. */
        public List<String> decidingPick(List<String> candidates, String picked) {
            return candidates.subList(0, candidates.indexOf(picked) + 1);
        }

        /**
         * Whether this check, read earlier, still holds in a snapshot where the taxonomy is at {@code revision} (classes and
         * supports unchanged: every change of them raises it) and has {@code embedded} embeddings in each of
         * {@link #decidingPick} (re-embedding changes those without a revision change): then {@code picked} is still the pick.
         */
        public boolean holdsAt(long revision, List<String> deciding, List<Long> embedded) {
            if (revision != this.revision || embedded.size() != deciding.size()) {
                return false;
            }
            for (int i = 0; i < deciding.size(); i++) {
                if (embedded.get(i) != (long) embeddedByVersion.getOrDefault(deciding.get(i), 0L)) {
                    return false;
                }
            }
            return true;
        }
    }

    static List<Object[]> rows(List<?> result) {
        return (List<Object[]>) result;
    }
}
