package org.affectdml.registry.logging;

import io.quarkus.logging.LoggingFilter;

import java.util.logging.Filter;
import java.util.logging.LogRecord;

/**
 * While PostgreSQL restarts, every transaction in flight fails on its closed connection and the transaction manager
 * and the pool log each failure with a full stack trace. The outage is what an operator acts on (the warnings stay, one
 * line each); the stack traces of a connection that is simply gone say nothing more, so they are dropped here.
 */
@LoggingFilter(name = "routine-database-failures")
public final class RoutineDatabaseFailures implements Filter {

    @Override
    public boolean isLoggable(LogRecord record) {
        Throwable thrown = record.getThrown();
        if (thrown != null && isLostConnection(thrown)) {
            record.setThrown(null);
            record.setMessage(record.getMessage() + " (database connection lost: " + rootMessage(thrown) + ")");
        }
        return true;
    }

    private static boolean isLostConnection(Throwable t) {
        return org.affectdml.registry.DatabaseErrors.isDatabaseUnavailable(t);
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        // no format characters: the record's message may be a printf or MessageFormat pattern
        String m = String.valueOf(root.getMessage()).replaceAll("[%{}']", "");
        return m.length() <= 160 ? m : m.substring(0, 160) + "...";
    }
}
