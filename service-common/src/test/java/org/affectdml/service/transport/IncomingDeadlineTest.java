package org.affectdml.service.transport;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

class IncomingDeadlineTest {

    @Test
    void readsEveryUnitOfTheGrpcTimeoutHeader() {
        assertEquals(TimeUnit.HOURS.toNanos(2), IncomingDeadline.timeoutNanos("2H"));
        assertEquals(TimeUnit.MINUTES.toNanos(3), IncomingDeadline.timeoutNanos("3M"));
        assertEquals(TimeUnit.SECONDS.toNanos(99999999), IncomingDeadline.timeoutNanos("99999999S"));
        assertEquals(TimeUnit.MILLISECONDS.toNanos(1500), IncomingDeadline.timeoutNanos("1500m"));
        assertEquals(TimeUnit.MICROSECONDS.toNanos(7), IncomingDeadline.timeoutNanos("7u"));
        assertEquals(42, IncomingDeadline.timeoutNanos("42n"));
        assertEquals(0, IncomingDeadline.timeoutNanos("0m"));
    }

    @Test
    void ignoresAbsentOrMalformedHeaders() {
        for (String bad : new String[]{null, "", "m", "5", "5x", "-5m", "1.5S", "123456789S", " 5m", "5 m"}) {
            assertEquals(-1, IncomingDeadline.timeoutNanos(bad), "header " + bad);
        }
    }
}
