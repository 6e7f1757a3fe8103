package org.affectdml.registry;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.affectdml.inference.grpc.GrpcErrors;

import java.sql.SQLException;

/** The registry's failures as affect.v1 statuses; a database that cannot be reached is UNAVAILABLE. */
public final class RegistryErrors {

    private RegistryErrors() {
    }

    public static StatusRuntimeException notFound(String message) {
        return Status.NOT_FOUND.withDescription(message).asRuntimeException();
    }

    public static StatusRuntimeException alreadyExists(String message) {
        return Status.ALREADY_EXISTS.withDescription(message).asRuntimeException();
    }

    public static StatusRuntimeException failedPrecondition(String message) {
        return Status.FAILED_PRECONDITION.withDescription(message).asRuntimeException();
    }

    public static StatusRuntimeException invalid(String message) {
        return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
    }

    public static StatusRuntimeException toStatus(Throwable t) {
        if (isDatabaseUnavailable(t)) {
            return Status.UNAVAILABLE.withDescription("the registry database is unavailable; retry shortly ("
                    + rootMessage(t) + ")").asRuntimeException();
        }
        return GrpcErrors.toStatus(t);
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
        }
        return false;
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }
}
