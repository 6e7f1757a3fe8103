package org.affectdml.registry.repository;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** StartEvaluation jobs (table evaluation_job): state and progress, readable from any replica. Within the caller's transaction. */
@ApplicationScoped
public class EvaluationJobRepository {

    /** A job as stored; {@code evaluationId} is null until it succeeded. */
    public record Job(UUID id, String taxonomy, String state, int total, int done, int skipped, String error, Long evaluationId,
                      OffsetDateTime created, OffsetDateTime updated, boolean stale) {
    }

    @Inject
    EntityManager em;

    public void insert(UUID id, long taxonomyId, int total) {
        em.createNativeQuery("INSERT INTO evaluation_job (id, taxonomy_id, state, queries_total) VALUES (?1, ?2, 'QUEUED', ?3)")
                .setParameter(1, id).setParameter(2, taxonomyId).setParameter(3, total).executeUpdate();
    }

    public void progress(UUID id, String state, int done, int skipped) {
        em.createNativeQuery("UPDATE evaluation_job SET state = ?2, queries_done = ?3, queries_skipped = ?4, updated = now() WHERE id = ?1")
                .setParameter(1, id).setParameter(2, state).setParameter(3, done).setParameter(4, skipped).executeUpdate();
    }

    public void succeeded(UUID id, int done, int skipped, long evaluationId) {
        em.createNativeQuery("""
                        UPDATE evaluation_job SET state = 'SUCCEEDED', queries_done = ?2, queries_skipped = ?3, evaluation_id = ?4,
                        updated = now() WHERE id = ?1""")
                .setParameter(1, id).setParameter(2, done).setParameter(3, skipped).setParameter(4, evaluationId).executeUpdate();
    }

    public void failed(UUID id, String error) {
        em.createNativeQuery("UPDATE evaluation_job SET state = 'FAILED', error = ?2, updated = now() WHERE id = ?1")
                .setParameter(1, id).setParameter(2, error).executeUpdate();
    }

    /** Marks the jobs as alive (those a replica still holds, queued or running). */
    public void touch(Collection<UUID> ids) {
        if (!ids.isEmpty()) {
            em.createNativeQuery("UPDATE evaluation_job SET updated = now() WHERE id = ANY(CAST(?1 AS uuid[])) AND state IN ('QUEUED', 'RUNNING')")
                    .setParameter(1, ids.stream().map(UUID::toString).toArray(String[]::new)).executeUpdate();
        }
    }

    /** The job; {@code stale} when it is queued or running but nothing updated it for {@code staleAfter}. */
    public Optional<Job> find(UUID id, Duration staleAfter) {
        List<Object[]> rows = TaxonomyRepository.rows(em.createNativeQuery("""
                        SELECT j.id, t.name, j.state, j.queries_total, j.queries_done, j.queries_skipped, j.error, j.evaluation_id,
                               j.created, j.updated, j.state IN ('QUEUED', 'RUNNING') AND j.updated < now() - ?2 * interval '1 millisecond'
                        FROM evaluation_job j JOIN taxonomy t ON t.id = j.taxonomy_id WHERE j.id = ?1""")
                .setParameter(1, id).setParameter(2, staleAfter.toMillis()).getResultList());
        return rows.stream().findFirst().map(r -> new Job(UUID.fromString(r[0].toString()), (String) r[1], (String) r[2],
                ((Number) r[3]).intValue(), ((Number) r[4]).intValue(), ((Number) r[5]).intValue(), (String) r[6],
                r[7] == null ? null : ((Number) r[7]).longValue(), time(r[8]), time(r[9]), (Boolean) r[10]));
    }

    /** Deletes jobs that ended (or went stale) longer than {@code keep} ago; returns how many. */
    public int deleteEndedBefore(Duration keep) {
        return em.createNativeQuery("DELETE FROM evaluation_job WHERE updated < now() - ?1 * interval '1 millisecond'")
                .setParameter(1, keep.toMillis()).executeUpdate();
    }

    private static OffsetDateTime time(Object value) {
        if (value instanceof OffsetDateTime t) {
            return t;
        }
        if (value instanceof java.time.Instant i) {
            return i.atOffset(java.time.ZoneOffset.UTC);
        }
        return ((java.sql.Timestamp) value).toInstant().atOffset(java.time.ZoneOffset.UTC);
    }
}
