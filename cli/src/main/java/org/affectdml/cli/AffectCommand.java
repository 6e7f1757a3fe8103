package org.affectdml.cli;

import io.quarkus.picocli.runtime.annotations.TopCommand;
import picocli.CommandLine;

/** {@code affect}: the command-line client of Affect-DML. */
@TopCommand
@CommandLine.Command(name = "affect", mixinStandardHelpOptions = true,
        description = "Affect-DML command-line client: embed images, inspect the model, run benchmarks.",
        subcommands = {EmbedCommand.class, ModelCommand.class, EmbedBenchmarkCommand.class})
public class AffectCommand {
}
