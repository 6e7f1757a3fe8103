package org.affectdml.cli;

import io.grpc.StatusRuntimeException;
import io.quarkus.picocli.runtime.PicocliCommandLineFactory;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import org.affectdml.inference.bundle.BundleException;
import org.affectdml.inference.image.InvalidImageException;
import picocli.CommandLine;

import java.io.IOException;

/**
 * Exit codes of every command: 0 done, 1 the call or the work failed (a gRPC status, an I/O error), 2 the
 * command line or its inputs are wrong (picocli's usage errors, a missing file, a bundle that fails
 * verification). Failures print one line, "affect: ...", never a stack trace.
 */
@ApplicationScoped
public class CommandLineSetup {

    static final int FAILED = 1;
    static final int BAD_INPUT = 2;

    @Produces
    CommandLine commandLine(PicocliCommandLineFactory factory) {
        return factory.create().setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("affect: " + describe(e));
            return exitCode(e);
        });
    }

    static int exitCode(Exception e) {
        return e instanceof IllegalArgumentException || e instanceof BundleException || e instanceof InvalidImageException
                || e instanceof CommandLine.ParameterException ? BAD_INPUT : FAILED;
    }

    static String describe(Exception e) {
        if (e instanceof StatusRuntimeException s) {
            return s.getStatus().getCode() + ": " + s.getStatus().getDescription();
        }
        if (e instanceof java.nio.file.NoSuchFileException n) {
            return "no such file: " + n.getFile();
        }
        String message = e.getMessage();
        boolean known = e instanceof IllegalArgumentException || e instanceof BundleException || e instanceof InvalidImageException
                || e instanceof IOException;
        return known && message != null ? message : e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }
}
