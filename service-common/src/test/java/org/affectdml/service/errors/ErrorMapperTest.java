package org.affectdml.service.errors;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ErrorMapperTest {

    /** Knows one kind of failure, as the registry's database classifier does. */
    private static final ErrorClassifier TIMEOUTS = e -> e instanceof java.util.concurrent.TimeoutException
            ? Optional.of(Status.UNAVAILABLE.withDescription("try again")) : Optional.empty();

    private final ErrorMapper mapper = new ErrorMapper(List.of(TIMEOUTS));

    @Test
    void statusesThrownOnPurposePassThroughAlsoFromInsideFutures() {
        StatusRuntimeException notFound = Errors.notFound("taxonomy 'x' does not exist");
        assertSame(notFound, mapper.toStatus(notFound));
        assertSame(notFound, mapper.toStatus(new CompletionException(new ExecutionException(notFound))));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, mapper.toStatus(Status.RESOURCE_EXHAUSTED.asException()).getStatus().getCode());
    }

    @Test
    void aClassifierDecidesTheFailuresItKnows() {
        StatusRuntimeException s = mapper.toStatus(new CompletionException(new java.util.concurrent.TimeoutException("db")));
        assertEquals(Status.Code.UNAVAILABLE, s.getStatus().getCode());
        assertEquals("try again", s.getStatus().getDescription());
    }

    @Test
    void anythingElseIsInternalWithAnErrorIdAndNothingOfTheException() {
        SQLException sql = new SQLException("ERROR: invalid byte sequence for encoding \"UTF8\": 0x00 in INSERT INTO taxonomy");
        StatusRuntimeException a = mapper.toStatus(new IllegalStateException("org.hibernate.exception.DataException: could not execute statement", sql));
        StatusRuntimeException b = mapper.toStatus(new NullPointerException());
        for (StatusRuntimeException s : List.of(a, b)) {
            assertEquals(Status.Code.INTERNAL, s.getStatus().getCode());
            String d = s.getStatus().getDescription();
            assertTrue(d.matches("internal error \\(error id [0-9a-f]{12}\\); the service log has the details under this id"), d);
            assertFalse(d.contains("INSERT") || d.contains("Exception") || d.contains("hibernate"), d);
            assertEquals(null, s.getCause(), "no cause travels with the status");
        }
        assertNotEquals(a.getStatus().getDescription(), b.getStatus().getDescription(), "each failure gets its own id");
    }
}
