package org.affectdml.registry;

import io.grpc.Status;
import jakarta.enterprise.context.ApplicationScoped;
import org.affectdml.service.errors.ErrorClassifier;

import java.sql.SQLException;
import java.util.Optional;

/**
 * A database that cannot be reached is UNAVAILABLE (retry), not a bug. The answer names no host, driver or SQL;
 * the pool logs the connection failure itself. Other SQL errors stay unexpected (INTERNAL with an error id).
 */
@ApplicationScoped
public class DatabaseErrors implements ErrorClassifier {

    @Override
    public Optional<Status> classify(Throwable error) {
        if (isDatabaseUnavailable(error)) {
            return Optional.of(Status.UNAVAILABLE.withDescription("the registry database is unavailable; retry shortly"));
        }
        if (isUniqueViolation(error)) {
            // The services turn the races they expect into precise answers (ALREADY_EXISTS for a taxonomy name taken);
            // any other duplicate key is a conflict with a concurrent change, which a retry resolves.
            return Optional.of(Status.ABORTED.withDescription("the change conflicted with a concurrent one and was not applied; retry it"));
        }
        if (hasSqlState(error, SERIALIZATION_FAILURE) || hasSqlState(error, DEADLOCK_DETECTED) || hasSqlState(error, LOCK_NOT_AVAILABLE)) {
            return Optional.of(Status.ABORTED.withDescription("the change conflicted with a concurrent one and was not applied; retry it"));
        }
        return Optional.empty();
    }

    private static final String UNIQUE_VIOLATION = "23505";
    private static final String SERIALIZATION_FAILURE = "40001";
    private static final String DEADLOCK_DETECTED = "40P01";
    private static final String LOCK_NOT_AVAILABLE = "55P03";

    /** A duplicate key: a row with the same unique key was committed by someone else first. */
    public static boolean isUniqueViolation(Throwable t) {
        return hasSqlState(t, UNIQUE_VIOLATION);
    }

    private static boolean hasSqlState(Throwable t, String state) {
        return anyInChain(t, 0, c -> c instanceof SQLException sql && state.equals(sql.getSQLState())
                || c instanceof org.hibernate.JDBCException jdbc && state.equals(jdbc.getSQLState()));
    }

    /**
     * Connection-level failures (refused, closed, pool timeout), not SQL errors in a working database. A commit that
     * fails because the connection went away carries the cause as a suppressed exception of the transaction
     * manager's RollbackException, so suppressed exceptions are searched too.
     */
    public static boolean isDatabaseUnavailable(Throwable t) {
        return anyInChain(t, 0, DatabaseErrors::isConnectionFailure);
    }

    private static boolean isConnectionFailure(Throwable c) {
        if (c instanceof org.hibernate.exception.JDBCConnectionException || c instanceof java.net.ConnectException
                || c instanceof java.sql.SQLTransientConnectionException || c instanceof java.sql.SQLNonTransientConnectionException) {
            return true;
        }
        if (c instanceof SQLException sql && sql.getSQLState() != null
                && (sql.getSQLState().startsWith("08") || sql.getSQLState().equals("57P01") || sql.getSQLState().equals("57P03"))) {
            return true;
        }
        String m = c.getMessage();
        return m != null && (m.contains("Unable to acquire JDBC Connection") || m.contains("Acquisition timeout")
                || m.contains("terminating connection due to administrator command") || m.contains("This connection has been closed"));
    }

    /** Whether {@code test} holds for {@code t}, its causes or their suppressed exceptions (bounded depth). */
    private static boolean anyInChain(Throwable t, int depth, java.util.function.Predicate<Throwable> test) {
        for (Throwable c = t; c != null && depth < 32; c = c.getCause() == c ? null : c.getCause(), depth++) {
            if (test.test(c)) {
                return true;
            }
            for (Throwable suppressed : c.getSuppressed()) {
                if (anyInChain(suppressed, depth + 1, test)) {
                    return true;
                }
            }
        }
        return false;
    }
}
