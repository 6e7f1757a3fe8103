package org.affectdml.service.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command to its end within a time limit. Its output and error go to files, not pipes read before waiting,
 * so that a command that hangs fails the test at the limit (and is killed with its children) instead of blocking the
 * test thread where JUnit's timeout cannot interrupt it.
 */
public final class BoundedProcess {

    /**
     * What a process printed and its exit code. {@code errors} is its standard error when that was kept apart (empty
     * when merged into {@code output}); {@code timedOut} says it was killed at the limit (then {@code exit} is -1).
     */
    public record Result(int exit, String output, String errors, boolean timedOut) {
    }

    private BoundedProcess() {
    }

    /** Runs {@code command}, its standard error merged into its output; throws AssertionError past the limit. */
    public static Result run(List<String> command, Duration limit) throws IOException, InterruptedException {
        return requireEnd(command, attempt(new ProcessBuilder(command).redirectErrorStream(true), limit), limit);
    }

    /** Like {@link #run}, the output being standard output alone and standard error kept in {@link Result#errors}. */
    public static Result runForStandardOutput(List<String> command, Duration limit) throws IOException, InterruptedException {
        return requireEnd(command, attempt(new ProcessBuilder(command), limit), limit);
    }

    /**
     * Runs what {@code builder} describes (its command, environment and whether it merges standard error) with the
     * output sent to files; past the limit the process and its children are killed and the result says so.
     */
    public static Result attempt(ProcessBuilder builder, Duration limit) throws IOException, InterruptedException {
        Path output = Files.createTempFile("bounded-process", ".out");
        Path errors = Files.createTempFile("bounded-process", ".err");
        try {
            builder.redirectOutput(output.toFile());
            if (!builder.redirectErrorStream()) {
                builder.redirectError(errors.toFile());
            }
            Process p = builder.start();
            boolean ended = p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
            if (!ended) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
            return new Result(ended ? p.exitValue() : -1, Files.readString(output), Files.readString(errors), !ended);
        } finally {
            Files.deleteIfExists(output);
            Files.deleteIfExists(errors);
        }
    }

    private static Result requireEnd(List<String> command, Result result, Duration limit) {
        if (result.timedOut()) {
            throw new AssertionError(command + " did not end within " + limit + "; it printed:\n" + result.output() + result.errors());
        }
        return result;
    }
}
