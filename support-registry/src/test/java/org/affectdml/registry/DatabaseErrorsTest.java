package org.affectdml.registry;

import io.grpc.Status;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;
import org.postgresql.util.PSQLState;

import java.sql.SQLException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which database failures reach a caller as which status (never INTERNAL for an outage or a race). */
class DatabaseErrorsTest {

    private final DatabaseErrors errors = new DatabaseErrors();

    private Status.Code code(Throwable t) {
        return errors.classify(t).map(Status::getCode).orElse(Status.Code.INTERNAL);
    }

    @Test
    void aCommitThatLostItsConnectionIsUnavailable() {
        // Narayana reports a commit whose connection was terminated as a RollbackException with the cause suppressed.
        var xa = new javax.transaction.xa.XAException("Error trying to transactionCommit local transaction");
        xa.initCause(new SQLException("FATAL: terminating connection due to administrator command", "57P01"));
        var rollback = new jakarta.transaction.RollbackException("ARJUNA016053: Could not commit transaction.");
        rollback.addSuppressed(xa);
        assertEquals(Status.Code.UNAVAILABLE, code(new RuntimeException(rollback)));
        assertEquals(Status.Code.UNAVAILABLE, code(new PSQLException("This connection has been closed.", PSQLState.CONNECTION_DOES_NOT_EXIST)));
    }

    @Test
    void racesTheServicesDoNotAnswerThemselvesAreAborted() {
        assertEquals(Status.Code.ABORTED, code(new org.hibernate.exception.ConstraintViolationException("insert",
                new SQLException("duplicate key value violates unique constraint", "23505"), "taxonomy_name_key")));
        assertEquals(Status.Code.ABORTED, code(new RuntimeException(new SQLException("could not serialize access", "40001"))));
        assertEquals(Status.Code.ABORTED, code(new RuntimeException(new SQLException("deadlock detected", "40P01"))));
        assertTrue(errors.classify(new SQLException("syntax error", "42601")).isEmpty(), "a bug stays INTERNAL with an error id");
    }
}
