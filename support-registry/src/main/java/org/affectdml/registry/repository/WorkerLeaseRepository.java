package org.affectdml.registry.repository;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;

import java.time.Duration;

/**
 * Named leases in PostgreSQL (table worker_lease): take-or-renew is one atomic upsert, so of several replicas
 * exactly one holds a lease at a time, and a holder that stops renewing (crashed, partitioned) loses it when it
 * expires. Call within a transaction.
 */
@ApplicationScoped
public class WorkerLeaseRepository {

    @Inject
    EntityManager em;

    /** Takes the lease, or renews it if {@code holder} has it, until now + ttl; whether {@code holder} has it now. */
    public boolean acquire(String name, String holder, Duration ttl) {
        return em.createNativeQuery("""
                        INSERT INTO worker_lease (name, holder, expires_at)
                        VALUES (?1, ?2, now() + ?3 * interval '1 millisecond')
                        ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
                        WHERE worker_lease.holder = EXCLUDED.holder OR worker_lease.expires_at < now()""")
                .setParameter(1, name).setParameter(2, holder).setParameter(3, ttl.toMillis())
                .executeUpdate() == 1;
    }

    /** Gives the lease up (a graceful shutdown), so another replica need not wait for it to expire. */
    public void release(String name, String holder) {
        em.createNativeQuery("DELETE FROM worker_lease WHERE name = ?1 AND holder = ?2")
                .setParameter(1, name).setParameter(2, holder).executeUpdate();
    }

    /** Whether anyone holds the lease now. */
    public boolean held(String name) {
        return !em.createNativeQuery("SELECT 1 FROM worker_lease WHERE name = ?1 AND expires_at >= now()")
                .setParameter(1, name).getResultList().isEmpty();
    }
}
