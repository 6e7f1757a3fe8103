package org.affectdml.registry.repository;

import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Stored answers of write calls by idempotency key (table write_request). Every method runs in the caller's transaction. */
@ApplicationScoped
public class WriteRequestRepository {

    /** A stored answer: which call it answered, the request's fingerprint, the answer's bytes. */
    public record Stored(String method, String fingerprint, byte[] response) {
    }

    /**
     * Locks the key until the caller's transaction ends (a transaction-scoped advisory lock), so two attempts with
     * one key, on any replica, run one after the other and the second finds the first one's answer.
     */
    public void lock(String requestId) {
        AdvisoryLocks.lockUntilTransactionEnds("request-id", requestId);
    }

    /** The answer stored under the key within the retention period. */
    public Optional<Stored> find(String requestId, Duration retention) {
        List<?> rows = Panache.getEntityManager().createNativeQuery("""
                        SELECT method, fingerprint, response FROM write_request
                        WHERE request_id = ?1 AND created >= now() - make_interval(secs => ?2)""")
                .setParameter(1, requestId).setParameter(2, (double) retention.toSeconds()).getResultList();
        return rows.stream().findFirst().map(r -> (Object[]) r).map(r -> new Stored((String) r[0], (String) r[1], (byte[]) r[2]));
    }

    /** Stores (or, for a key whose earlier answer has expired, replaces) the answer under the key. */
    public void save(String requestId, String method, String fingerprint, byte[] response) {
        Panache.getEntityManager().createNativeQuery("""
                        INSERT INTO write_request (request_id, method, fingerprint, response, created) VALUES (?1, ?2, ?3, ?4, now())
                        ON CONFLICT (request_id) DO UPDATE SET method = EXCLUDED.method, fingerprint = EXCLUDED.fingerprint,
                            response = EXCLUDED.response, created = EXCLUDED.created""")
                .setParameter(1, requestId).setParameter(2, method).setParameter(3, fingerprint).setParameter(4, response).executeUpdate();
    }

    /** Deletes answers older than the retention period; returns how many. */
    public int purgeOlderThan(Duration retention) {
        return Panache.getEntityManager().createNativeQuery("DELETE FROM write_request WHERE created < now() - make_interval(secs => ?1)")
                .setParameter(1, (double) retention.toSeconds()).executeUpdate();
    }
}
