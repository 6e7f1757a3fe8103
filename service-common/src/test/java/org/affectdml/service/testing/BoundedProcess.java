package org.affectdml.service.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command to its end within a time limit, its standard output and error in one file. The output goes to a file,
 * not a pipe read before waiting, so that a command that hangs fails the test at the limit (and is killed with its
 * children) instead of blocking the test thread where JUnit's timeout cannot interrupt it.
 */
public final class BoundedProcess {

    /** What a process printed (standard output and error) and its exit code. */
    public record Result(int exit, String output) {
    }

    private BoundedProcess() {
    }

    /** Runs {@code command}, its standard error merged into its output; throws AssertionError past the limit. */
    public static Result run(List<String> command, Duration limit) throws IOException, InterruptedException {
        return run(command, limit, true);
    }

    /** Like {@link #run}, the output being standard output alone (standard error is shown only past the limit). */
    public static Result runForStandardOutput(List<String> command, Duration limit) throws IOException, InterruptedException {
        return run(command, limit, false);
    }

    private static Result run(List<String> command, Duration limit, boolean mergeErrors) throws IOException, InterruptedException {
        Path output = Files.createTempFile("bounded-process", ".out");
        Path errors = Files.createTempFile("bounded-process", ".err");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(output.toFile());
            Process p = (mergeErrors ? builder.redirectErrorStream(true) : builder.redirectError(errors.toFile())).start();
            if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError(command + " did not end within " + limit + "; it printed:\n"
                        + Files.readString(output) + Files.readString(errors));
            }
            return new Result(p.exitValue(), Files.readString(output));
        } finally {
            Files.deleteIfExists(output);
            Files.deleteIfExists(errors);
        }
    }
}
