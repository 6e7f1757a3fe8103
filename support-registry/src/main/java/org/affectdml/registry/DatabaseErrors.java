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
            // The services turn the races they expect into precise answers; this is the net under the others.
            return Optional.of(Status.ALREADY_EXISTS.withDescription("a concurrent request stored the same thing first; read it again"));
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
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof SQLException sql && state.equals(sql.getSQLState())) {
                return true;
            }
            if (c instanceof org.hibernate.exception.ConstraintViolationException cv && state.equals(cv.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    /** Connection-level failures (refused, closed, pool timeout), not SQL errors in a working database. */
    static boolean isDatabaseUnavailable(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof org.hibernate.exception.JDBCConnectionException || c instanceof java.net.ConnectException
                    || c instanceof java.sql.SQLTransientConnectionException || c instanceof java.sql.SQLNonTransientConnectionException) {
                return true;
            }
            if (c instanceof SQLException sql && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("08") || sql.getSQLState().equals("57P01") || sql.getSQLState().equals("57P03"))) {
                return true;
            }
            String m = c.getMessage();
            if (m != null && (m.contains("Unable to acquire JDBC Connection") || m.contains("Acquisition timeout"))) {
                return true;
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return false;
    }
}
