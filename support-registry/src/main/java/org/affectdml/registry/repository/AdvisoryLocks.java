package org.affectdml.registry.repository;

import io.quarkus.hibernate.orm.panache.Panache;

/**
 * PostgreSQL's transaction-scoped advisory locks, for what has no row to lock yet (a taxonomy name being created, a
 * request id being used): held until the caller's transaction ends, on any replica. Keys of different namespaces
 * never share a lock.
 */
final class AdvisoryLocks {

    private AdvisoryLocks() {
    }

    /** Waits for and takes the lock of {@code key} in {@code namespace}, in the caller's transaction. */
    static void lockUntilTransactionEnds(String namespace, String key) {
        Panache.getEntityManager().createNativeQuery("SELECT 1 FROM (SELECT pg_advisory_xact_lock(hashtextextended(?1, 0))) AS locked")
                .setParameter(1, namespace + "\n" + key).getSingleResult();
    }
}
