package org.affectdml.cli;

import io.quarkus.picocli.runtime.annotations.TopCommand;
import picocli.CommandLine;

/** {@code affect}: the command-line client of Affect-DML. */
@TopCommand
@CommandLine.Command(name = "affect", mixinStandardHelpOptions = true,
        description = "Affect-DML command-line client: classify, manage taxonomies and supports, embed, train, model bundles, benchmarks.",
        subcommands = {ClassifyCommand.class, TaxonomyCommand.class, SupportCommand.class, EmbedCommand.class, ModelCommand.class,
                TrainCommand.class, BundleCommand.class, EmbedBenchmarkCommand.class, ClassifyBenchmarkCommand.class,
                MessageSizeBenchmarkCommand.class, PhotoBenchmarkCommand.class, ThroughputBenchmarkCommand.class,
                EvaluationBenchmarkCommand.class, SoakBenchmarkCommand.class})
public class AffectCommand {
}
