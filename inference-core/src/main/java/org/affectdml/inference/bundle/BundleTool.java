package org.affectdml.inference.bundle;

import org.affectdml.inference.onnx.ExecutionProvider;
import org.affectdml.inference.onnx.OrtSessionFactory;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Command line for the model store: assemble the default bundle, fetch a published one, verify,
 * activate and list. Run it with {@code deploy/local/bundle-tool.sh ARGS} (see README).
 */
public final class BundleTool {

    private static final String USAGE = """
            usage: bundle-tool COMMAND [options]

              assemble-default --store DIR --image-encoder FILE.onnx --segmenter FILE.onnx
                               [--body-encoder FILE.onnx] [--segmenter-labels FILE.txt]
                               [--encoder-output features] [--encoder-size 224] [--segmenter-size 512]
                               [--activate]
                  Builds the default bundle (backbones + the untrained random-projection head) and
                  publishes it; prints its version. Idempotent for the same inputs.
              fetch --store DIR --url URL --sha256 HEX [--activate]
                  Downloads a bundle zip (http, https or file URL), checks its sha256, verifies, publishes.
              verify DIR
                  Verifies a bundle directory: manifest, checksums, tensor names and shapes, a test run.
              activate --store DIR VERSION
                  Verifies a published bundle and marks it active; running services swap to it.
              list --store DIR
                  Published bundles, newest first; * marks the active one.
            """;

    private BundleTool() {
    }

    public static void main(String[] args) {
        try {
            System.exit(run(args));
        } catch (BundleException | IllegalArgumentException e) {
            System.err.println("bundle-tool: " + e.getMessage());
            System.exit(2);
        } catch (Exception e) {
            System.err.println("bundle-tool: " + e);
            System.exit(1);
        }
    }

    static int run(String[] args) throws Exception {
        if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help")) {
            System.out.print(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        Options o = Options.parse(args);
        OrtSessionFactory sessions = new OrtSessionFactory(ExecutionProvider.parse(o.get("provider", "cpu")),
                Integer.parseInt(o.get("threads", "0")), 0);
        BundleLoader loader = new BundleLoader(sessions);
        switch (args[0]) {
            case "assemble-default" -> {
                ModelStore store = new ModelStore(o.path("store"));
                Path image = o.path("image-encoder");
                var inputs = new DefaultBundleAssembler.Inputs(image, o.has("body-encoder") ? o.path("body-encoder") : image,
                        o.get("encoder-output", "features"), Integer.parseInt(o.get("encoder-size", "224")),
                        o.path("segmenter"), o.has("segmenter-labels") ? o.path("segmenter-labels") : null,
                        Integer.parseInt(o.get("segmenter-size", "512")));
                String version = new DefaultBundleAssembler(sessions).assemble(inputs, store);
                System.out.println(version);
                if (o.flag("activate")) {
                    store.activate(version, loader);
                    System.err.println("activated " + version);
                }
            }
            case "fetch" -> {
                ModelStore store = new ModelStore(o.path("store"));
                Path dir = new BundleFetcher(BundleFetcher.DEFAULT_MAX_ARCHIVE_BYTES)
                        .fetch(URI.create(o.get("url", null)), o.get("sha256", null), store, loader);
                String version = dir.getFileName().toString();
                System.out.println(version);
                if (o.flag("activate")) {
                    store.activate(version, loader);
                    System.err.println("activated " + version);
                }
            }
            case "verify" -> {
                BundleManifest m = loader.verify(Path.of(o.positional(0)));
                System.out.println("OK " + m.version() + " (" + m.headKind() + ", embedding " + m.embeddingDimension() + "-d)");
            }
            case "activate" -> {
                ModelStore store = new ModelStore(o.path("store"));
                store.activate(o.positional(0), loader);
                System.out.println("activated " + o.positional(0));
            }
            case "list" -> {
                ModelStore store = new ModelStore(o.path("store"));
                String active = store.activeVersion().orElse("");
                for (BundleManifest m : store.list()) {
                    System.out.printf("%s %-40s %-20s %s%n", m.version().equals(active) ? "*" : " ", m.version(),
                            m.created(), m.headKind());
                }
            }
            default -> throw new IllegalArgumentException("unknown command '" + args[0] + "'\n" + USAGE);
        }
        return 0;
    }

    /** "--name value" options, "--flag" switches and positional arguments after the command. */
    private record Options(Map<String, String> values, List<String> positionals) {

        static Options parse(String[] args) {
            Map<String, String> values = new HashMap<>();
            List<String> positionals = new ArrayList<>();
            for (int i = 1; i < args.length; i++) {
                if (args[i].startsWith("--")) {
                    String name = args[i].substring(2);
                    boolean hasValue = i + 1 < args.length && !args[i + 1].startsWith("--");
                    values.put(name, hasValue && !name.equals("activate") ? args[++i] : "true");
                } else {
                    positionals.add(args[i]);
                }
            }
            return new Options(values, positionals);
        }

        boolean has(String name) {
            return values.containsKey(name);
        }

        boolean flag(String name) {
            return "true".equals(values.get(name));
        }

        String get(String name, String fallback) {
            String v = values.getOrDefault(name, fallback);
            if (v == null) {
                throw new IllegalArgumentException("--" + name + " is required");
            }
            return v;
        }

        Path path(String name) {
            Path p = Path.of(get(name, null));
            if (!name.equals("store") && !Files.isRegularFile(p)) {
                throw new IllegalArgumentException("--" + name + " " + p + ": no such file");
            }
            return p;
        }

        String positional(int index) {
            if (positionals.size() <= index) {
                throw new IllegalArgumentException("missing argument\n" + USAGE);
            }
            return positionals.get(index);
        }
    }
}
