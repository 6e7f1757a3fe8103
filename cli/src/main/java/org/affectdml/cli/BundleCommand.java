package org.affectdml.cli;

import org.affectdml.inference.bundle.BundleFetcher;
import org.affectdml.inference.bundle.BundleLoader;
import org.affectdml.inference.bundle.BundleManifest;
import org.affectdml.inference.bundle.DefaultBundleAssembler;
import org.affectdml.inference.bundle.StandardExports;
import org.affectdml.inference.bundle.Sha256;
import org.affectdml.inference.bundle.ModelStore;
import org.affectdml.inference.onnx.ExecutionProvider;
import org.affectdml.inference.onnx.OrtSessionFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * affect bundle: the model store on disk (assemble the default bundle, fetch a published one, verify, activate,
 * list). Works on the store directly, without the services; running services follow ACTIVE by themselves.
 */
@Command(name = "bundle", mixinStandardHelpOptions = true, description = "Model bundles in a model store: assemble, fetch, verify, activate, list.",
        subcommands = {BundleCommand.AssembleDefault.class, BundleCommand.Import.class, BundleCommand.Fetch.class})
public class BundleCommand {

    /** ONNX Runtime for the verification run every command makes before a bundle is published or activated. */
    static class Runtime {
        @Option(names = "--provider", defaultValue = "cpu", description = "ONNX Runtime execution provider: auto, cuda or cpu (default ${DEFAULT-VALUE})")
        String provider;

        @Option(names = "--threads", defaultValue = "0", description = "intra-op threads, 0 = all cores (default ${DEFAULT-VALUE})")
        int threads;

        OrtSessionFactory sessions() {
            return new OrtSessionFactory(ExecutionProvider.parse(provider), threads, 0);
        }
    }

    static class Store {
        @Option(names = "--store", required = true, description = "model store directory (bundles/ and ACTIVE)")
        Path store;

        ModelStore open() {
            return new ModelStore(store);
        }
    }

    /** --activate, and what publishing prints: the version on stdout, the activation on stderr. */
    static class Publish {
        @Option(names = "--activate", description = "mark it active once published")
        boolean activate;

        void published(ModelStore store, String version, BundleLoader loader) throws java.io.IOException {
            System.out.println(version);
            if (activate) {
                store.activate(version, loader);
                System.err.println("activated " + version);
            }
        }
    }

    /** The backbone files a default bundle is assembled from. */
    static class Backbones {
        @Option(names = "--image-encoder", required = true, description = "ONNX image encoder (an export with pooled features or a classifier)")
        Path imageEncoder;
        @Option(names = "--body-encoder", description = "ONNX body encoder (default: the image encoder; another file is the paper's † setting)")
        Path bodyEncoder;
        @Option(names = "--segmenter", required = true, description = "ONNX ADE20K segmenter (150 classes)")
        Path segmenter;
        @Option(names = "--segmenter-labels", description = "the segmenter's class names, one per line (ADE20K order)")
        Path segmenterLabels;
    }

    /** What assembling a default bundle takes: the backbones, the store it goes to, the runtime that verifies it, --activate. */
    static class Assembly {
        @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
        CommandLine.Model.CommandSpec spec;
        @Mixin
        Store store;
        @Mixin
        Runtime runtime;
        @Mixin
        Backbones backbones;
        @Mixin
        Publish publish;

        /** {@code file} as given, refused as a usage error when it is given and is not a file. */
        Path existing(Path file, String option) {
            return existingFile(spec, file, option);
        }

        /** Assembles the bundle into the store, verifies it and publishes it: its version on stdout. */
        void publish(DefaultBundleAssembler.Inputs inputs) throws java.io.IOException, ai.onnxruntime.OrtException {
            OrtSessionFactory sessions = runtime.sessions();
            ModelStore target = store.open();
            publish.published(target, new DefaultBundleAssembler(sessions).assemble(inputs, target), new BundleLoader(sessions));
        }
    }

    static Path existingFile(CommandLine.Model.CommandSpec spec, Path file, String option) {
        if (file != null && !Files.isRegularFile(file)) {
            throw new CommandLine.ParameterException(spec.commandLine(), option + " " + file + ": no such file");
        }
        return file;
    }

    @Command(name = "assemble-default", mixinStandardHelpOptions = true,
            description = "Build the default bundle (backbones + the untrained random-projection head), publish it and print its version. Idempotent for the same inputs.")
    static class AssembleDefault implements Callable<Integer> {
        @Mixin
        Assembly assembly;
        @Option(names = "--encoder-output", defaultValue = "features", description = "encoder output tensor (default ${DEFAULT-VALUE})")
        String encoderOutput;
        @Option(names = "--encoder-size", defaultValue = "224", description = "encoder input size in pixels (default ${DEFAULT-VALUE})")
        int encoderSize;
        @Option(names = "--segmenter-size", defaultValue = "512", description = "segmenter input size in pixels (default ${DEFAULT-VALUE})")
        int segmenterSize;

        @Override
        public Integer call() throws Exception {
            Backbones backbones = assembly.backbones;
            Path image = assembly.existing(backbones.imageEncoder, "--image-encoder");
            assembly.publish(new DefaultBundleAssembler.Inputs(image,
                    backbones.bodyEncoder == null ? image : assembly.existing(backbones.bodyEncoder, "--body-encoder"),
                    encoderOutput, encoderSize, assembly.existing(backbones.segmenter, "--segmenter"),
                    assembly.existing(backbones.segmenterLabels, "--segmenter-labels"), segmenterSize));
            return 0;
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
            description = {"Build the default bundle from standard downloaded exports: torchvision or ONNX Model Zoo ResNets, Hugging Face "
                    + "exports (pixel_values -> logits), a SegFormer ADE20K segmenter. Recognises their tensors and input size, exposes the "
                    + "pooled features (or, with --logits, the 1000 logits), verifies, publishes and prints the version.",
                    "Prints each file's sha256: compare it with the one its publisher gives."})
    static class Import implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Mixin
        Assembly assembly;
        @Option(names = "--logits", description = "use the encoders' classifier logits (the paper's code) instead of the pooled features")
        boolean logits;

        @Override
        public Integer call() throws Exception {
            Path work = Files.createTempDirectory("affect-import-");
            try {
                Backbones backbones = assembly.backbones;
                Path image = prepared(assembly.existing(backbones.imageEncoder, "--image-encoder"), "image encoder",
                        work.resolve("image_encoder.onnx"));
                Path body = backbones.bodyEncoder == null ? image
                        : prepared(assembly.existing(backbones.bodyEncoder, "--body-encoder"), "body encoder", work.resolve("body_encoder.onnx"));
                Path seg = assembly.existing(backbones.segmenter, "--segmenter");
                StandardExports.Segmenter s = StandardExports.segmenter(Files.readAllBytes(seg));
                System.err.printf("segmenter %s (sha256 %s): %s, input '%s' %d px, %d classes%n", seg, Sha256.of(seg), s.kind(), s.input(),
                        s.size(), s.classes());
                int size = StandardExports.encoder(Files.readAllBytes(image), false).size();
                assembly.publish(new DefaultBundleAssembler.Inputs(image, body, logits ? StandardExports.LOGITS : StandardExports.FEATURES, size,
                        seg, assembly.existing(backbones.segmenterLabels, "--segmenter-labels"), s.size()));
                return 0;
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            } finally {
                ModelStore.deleteRecursively(work);
            }
        }

        /** The export with its features (or logits) exposed under the bundle's name, written to {@code to}. */
        private Path prepared(Path export, String role, Path to) throws java.io.IOException {
            StandardExports.Encoder e = StandardExports.encoder(Files.readAllBytes(export), logits);
            System.err.printf("%s %s (sha256 %s): %s, input '%s' %d px, uses %s%n", role, export, Sha256.of(export), e.kind(), e.input(),
                    e.size(), e.note());
            return Files.write(to, e.onnx());
        }
    }

    @Command(name = "fetch", mixinStandardHelpOptions = true,
            description = "Download a bundle zip (http, https or file URL), check its sha256, verify and publish it; prints its version.")
    static class Fetch implements Callable<Integer> {
        @Mixin
        Store store;
        @Mixin
        Runtime runtime;
        @Option(names = "--url", required = true, description = "where the bundle zip is")
        URI url;
        @Option(names = "--sha256", required = true, description = "the zip's sha256 (64 hex digits)")
        String sha256;
        @Mixin
        Publish publish;

        @Override
        public Integer call() throws Exception {
            ModelStore s = store.open();
            BundleLoader loader = new BundleLoader(runtime.sessions());
            publish.published(s, new BundleFetcher(BundleFetcher.DEFAULT_MAX_ARCHIVE_BYTES).fetch(url, sha256, s, loader).getFileName().toString(),
                    loader);
            return 0;
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Verify a bundle directory: manifest, checksums, tensor names and shapes, a run on a zero batch.")
    int verify(@Mixin Runtime runtime, @Parameters(paramLabel = "DIR", description = "the bundle directory") Path directory) throws Exception {
        BundleManifest m = new BundleLoader(runtime.sessions()).verify(directory);
        System.out.println("OK " + m.version() + " (" + m.headKind() + ", embedding " + m.embeddingDimension() + "-d)");
        return 0;
    }

    @Command(name = "activate", mixinStandardHelpOptions = true, description = "Verify a published bundle and mark it active; running services swap to it.")
    int activate(@Mixin Store store, @Mixin Runtime runtime,
                 @Parameters(paramLabel = "VERSION", description = "a version in the store (see: affect bundle list)") String version) throws Exception {
        store.open().activate(version, new BundleLoader(runtime.sessions()));
        System.out.println("activated " + version);
        return 0;
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Published bundles, newest first; * marks the active one.")
    int list(@Mixin Store store) throws Exception {
        ModelStore s = store.open();
        String active = s.activeVersion().orElse("");
        for (BundleManifest m : s.list()) {
            System.out.printf("%s %-40s %-20s %s%n", m.version().equals(active) ? "*" : " ", m.version(), m.created(), m.headKind());
        }
        return 0;
    }
}
