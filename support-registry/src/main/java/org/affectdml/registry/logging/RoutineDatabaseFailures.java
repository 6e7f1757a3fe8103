package org.affectdml.registry.logging;

import io.quarkus.logging.LoggingFilter;
import org.jboss.logmanager.ExtLogRecord;

import java.util.logging.Filter;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;

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
            // the record's message may be a pattern (printf or MessageFormat): formatted with its parameters first,
            // or the parameters (an error id, say) would be lost from the line
            String line = formatted(record) + " (database connection lost: " + rootMessage(thrown) + ")";
            if (record instanceof ExtLogRecord ext) {
                ext.setMessage(line, ExtLogRecord.FormatStyle.NO_FORMAT);
            } else {
                record.setMessage(line);
            }
            record.setParameters(null);
        }
        return true;
    }

    private static String formatted(LogRecord record) {
        return record instanceof ExtLogRecord ext ? ext.getFormattedMessage() : new SimpleFormatter().formatMessage(record);
    }

    private static boolean isLostConnection(Throwable t) {
        return org.affectdml.registry.DatabaseErrors.isDatabaseUnavailable(t);
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        // no format characters, whatever formats the line later
        String m = String.valueOf(root.getMessage()).replaceAll("[%{}']", "");
        return m.length() <= 160 ? m : m.substring(0, 160) + "...";
    }
}
