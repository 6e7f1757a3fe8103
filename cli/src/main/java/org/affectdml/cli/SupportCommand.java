package org.affectdml.cli;

import com.google.protobuf.ByteString;
import org.affectdml.proto.v1.AddSupportRequest;
import org.affectdml.proto.v1.Image;
import org.affectdml.proto.v1.ListSupportsRequest;
import org.affectdml.proto.v1.RemoveSupportRequest;
import picocli.CommandLine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** affect support add|list|remove (admin key). */
@CommandLine.Command(name = "support", mixinStandardHelpOptions = true, description = "Manage support samples (admin key).",
        subcommands = {SupportCommand.Add.class, SupportCommand.ListAll.class, SupportCommand.Remove.class})
public class SupportCommand {

    @CommandLine.Command(name = "add", mixinStandardHelpOptions = true, description = "Add a support example to a class.")
    static class Add implements Callable<Integer> {
        @CommandLine.Mixin
        RegistryOptions registry;
        @CommandLine.Option(names = "--taxonomy", required = true)
        String taxonomy;
        @CommandLine.Option(names = "--class", required = true)
        String className;
        @CommandLine.Parameters(index = "0", description = "JPEG or PNG image")
        Path image;
        @CommandLine.Option(names = "--box", required = true, description = "person box x1,y1,x2,y2 in pixels")
        String box;

        @Override
        public Integer call() {
            float[] b = Endpoints.parseBox(box);
            byte[] bytes;
            try {
                bytes = Endpoints.read(image);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return TaxonomyCommand.admin(registry, s -> {
                var r = s.addSupport(AddSupportRequest.newBuilder().setTaxonomy(taxonomy).setClassName(className)
                        .setImage(Image.newBuilder().setData(ByteString.copyFrom(bytes)))
                        .setBox(Endpoints.personBox(b))
                        .putMetadata("file", image.getFileName().toString()).build());
                return (r.getCreated() ? "added " : "already stored ") + r.getSample().getId() + " to " + taxonomy + "/" + className;
            });
        }
    }

    @CommandLine.Command(name = "list", mixinStandardHelpOptions = true, description = "List a taxonomy's supports.")
    static class ListAll implements Callable<Integer> {
        @CommandLine.Mixin
        RegistryOptions registry;
        @CommandLine.Option(names = "--taxonomy", required = true)
        String taxonomy;

        @Override
        public Integer call() {
            return TaxonomyCommand.admin(registry, s -> {
                StringBuilder out = new StringBuilder();
                String token = "";
                do {
                    var page = s.listSupports(ListSupportsRequest.newBuilder().setTaxonomy(taxonomy).setPageSize(200).setPageToken(token).build());
                    page.getSamplesList().forEach(x -> out.append(String.format("%s %-16s box %.0f,%.0f,%.0f,%.0f models %s%n", x.getId(),
                            x.getClassName(), x.getBox().getX1(), x.getBox().getY1(), x.getBox().getX2(), x.getBox().getY2(),
                            x.getEmbeddedModelVersionsList())));
                    token = page.getNextPageToken();
                } while (!token.isEmpty());
                return out.length() == 0 ? "(no supports)" : out.toString().stripTrailing();
            });
        }
    }

    @CommandLine.Command(name = "remove", mixinStandardHelpOptions = true, description = "Remove a support sample.")
    static class Remove implements Callable<Integer> {
        @CommandLine.Mixin
        RegistryOptions registry;
        @CommandLine.Option(names = "--taxonomy", required = true)
        String taxonomy;
        @CommandLine.Parameters(index = "0", description = "support id")
        String id;

        @Override
        public Integer call() {
            return TaxonomyCommand.admin(registry, s -> {
                s.removeSupport(RemoveSupportRequest.newBuilder().setTaxonomy(taxonomy).setSupportId(id).build());
                return "removed " + id;
            });
        }
    }
}
