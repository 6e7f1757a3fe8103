package org.affectdml.registry.logging;

import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.Test;

import java.net.SocketException;
import java.sql.SQLException;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** A lost database connection is logged in one line, which keeps the record's own parameters (an error id, say). */
class RoutineDatabaseFailuresTest {

    private final RoutineDatabaseFailures filter = new RoutineDatabaseFailures();

    @Test
    void aPrintfRecordKeepsItsParametersAndLosesItsStack() {
        ExtLogRecord record = new ExtLogRecord(Level.SEVERE, "unexpected failure, error id %s", ExtLogRecord.FormatStyle.PRINTF, "x");
        record.setParameters(new Object[]{"a472508c4aa0"});
        record.setThrown(new SQLException("An I/O error occurred while sending to the backend.", "08006", new SocketException("Broken pipe")));
        filter.isLoggable(record);
        assertNull(record.getThrown());
        assertEquals("unexpected failure, error id a472508c4aa0 (database connection lost: Broken pipe)", record.getFormattedMessage());
    }

    @Test
    void aMessageFormatRecordKeepsItsParameters() {
        ExtLogRecord record = new ExtLogRecord(Level.WARNING, "pass {0} failed", ExtLogRecord.FormatStyle.MESSAGE_FORMAT, "x");
        record.setParameters(new Object[]{7});
        record.setThrown(new SQLException("This connection has been closed.", "08003"));
        filter.isLoggable(record);
        assertEquals("pass 7 failed (database connection lost: This connection has been closed.)", record.getFormattedMessage());
    }

    @Test
    void otherFailuresKeepTheirStack() {
        ExtLogRecord record = new ExtLogRecord(Level.SEVERE, "failed %s", ExtLogRecord.FormatStyle.PRINTF, "x");
        record.setParameters(new Object[]{"here"});
        IllegalStateException bug = new IllegalStateException("a bug");
        record.setThrown(bug);
        filter.isLoggable(record);
        assertEquals(bug, record.getThrown());
        assertEquals("failed here", record.getFormattedMessage());
    }
}
