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
        return isDatabaseUnavailable(error)
                ? Optional.of(Status.UNAVAILABLE.withDescription("the registry database is unavailable; retry shortly"))
                : Optional.empty();
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
