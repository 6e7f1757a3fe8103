package org.affectdml.deploy.stack;

import org.affectdml.service.testing.BoundedProcess;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The podman command line, with deploy/containers/podman/containers.conf (runc, no default ulimits, host network):
 * the settings deploy/containers/engine.sh gives every script.
 */
public final class Podman {

    private final Path containersConf;

    public Podman(Path repo) {
        this.containersConf = repo.resolve("deploy/containers/podman/containers.conf");
    }

    /** Whether podman is on the PATH and answers. */
    public static boolean available() {
        try {
            Process p = new ProcessBuilder("podman", "--version").redirectErrorStream(true).start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** Runs podman ARGS; the exit code and what it printed. */
    public Result run(Duration timeout, String... args) {
        return run(timeout, List.of(args));
    }

    public Result run(Duration timeout, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add("podman");
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putIfAbsent("CONTAINERS_CONF", containersConf.toString());
        try {
            BoundedProcess.Result r = BoundedProcess.attempt(pb, timeout);
            return r.timedOut() ? new Result(-1, "timed out after " + timeout + ": podman " + String.join(" ", args))
                    : new Result(r.exit(), r.output().strip());
        } catch (IOException e) {
            return new Result(-1, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }

    /** Like {@link #run}, failing with what podman printed unless it exits 0. */
    public String require(Duration timeout, String... args) {
        Result r = run(timeout, args);
        if (r.exitCode() != 0) {
            throw new IllegalStateException("podman " + String.join(" ", args) + " exited " + r.exitCode() + ": " + r.output());
        }
        return r.output();
    }

    public String inspect(String container, String format) {
        return require(Duration.ofSeconds(30), "inspect", "--format", format, container);
    }

    public record Result(int exitCode, String output) {
    }
}
