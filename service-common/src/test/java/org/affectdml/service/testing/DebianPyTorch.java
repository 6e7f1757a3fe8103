package org.affectdml.service.testing;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Debian's python3-torch 1.13 and python3-torchvision 0.14 (deploy/local/pytorch.sh), which the tests use for true
 * torchvision exports and as the training reference; the scripts live in trainer/src/test/python.
 */
public final class DebianPyTorch {

    /** Debian's interpreter: a python3 earlier on PATH (pyenv, a venv) need not see Debian's packages. */
    public static final String PYTHON = "/usr/bin/python3";

    private DebianPyTorch() {
    }

    /** Skips the calling tests, saying why and how to fix it, where Debian's PyTorch is absent. */
    public static void assumePresent() throws Exception {
        boolean present = Files.isExecutable(Path.of(PYTHON)) && run(List.of(PYTHON, "-c", "import torch, torchvision")).exit() == 0;
        Assumptions.assumeTrue(present, "Debian's python3-torch and python3-torchvision are not installed "
                + "(deploy/local/pytorch.sh installs them; deploy/local/test.sh and .ci/run do)");
    }

    /** The trainer's test scripts, from any module's directory (the tests run in their module's). */
    public static final Path SCRIPTS = Path.of("..", "trainer", "src", "test", "python").toAbsolutePath().normalize();

    /** Runs {@code script} of {@link #SCRIPTS} with the arguments and fails, with its output, unless it exits 0. */
    public static void script(String script, String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of(PYTHON, SCRIPTS.resolve(script).toString()));
        command.addAll(List.of(arguments));
        BoundedProcess.Result r = run(command);
        assertEquals(0, r.exit(), command + " failed:\n" + r.output());
    }

    /** Runs a command, its output in a file, killed and failed if it has not ended within 5 minutes. */
    public static BoundedProcess.Result run(List<String> command) throws Exception {
        return BoundedProcess.run(command, Duration.ofMinutes(5));
    }
}
