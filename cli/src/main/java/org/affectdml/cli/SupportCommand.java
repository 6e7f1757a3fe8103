package org.affectdml.cli;

import org.affectdml.proto.v1.AddSupportRequest;
import org.affectdml.proto.v1.ListSupportsRequest;
import org.affectdml.proto.v1.ListSupportsResponse;
import org.affectdml.proto.v1.RemoveSupportRequest;
import picocli.CommandLine;

import java.util.concurrent.Callable;

/** affect support add|list|remove (admin key). */
@CommandLine.Command(name = "support", mixinStandardHelpOptions = true, description = "Manage support samples (admin key).",
        subcommands = {SupportCommand.Add.class})
public class SupportCommand {

    @CommandLine.Command(name = "add", mixinStandardHelpOptions = true, description = "Add a support example to a class.")
    static class Add implements Callable<Integer> {
        @CommandLine.Mixin
        RegistryOptions registry;
        @CommandLine.Option(names = "--taxonomy", required = true)
        String taxonomy;
        @CommandLine.Option(names = "--class", required = true)
        String className;
        @CommandLine.Mixin
        PersonPhoto photo;

        @Override
        public Integer call() {
            AddSupportRequest request = AddSupportRequest.newBuilder().setTaxonomy(taxonomy).setClassName(className)
                    .setImage(photo.protoImage()).setBox(photo.personBox()).putMetadata("file", photo.fileName()).build();
            return TaxonomyCommand.admin(registry, s -> {
                var r = WriteRetries.withRequestId(id -> s.addSupport(request.toBuilder().setRequestId(id).build()));
                return (r.getCreated() ? "added " : "already stored ") + r.getSample().getId() + " to " + taxonomy + "/" + className;
            });
        }
    }

    @CommandLine.Command(name = "list", mixinStandardHelpOptions = true, description = "List a taxonomy's supports.")
    int list(@CommandLine.Mixin RegistryOptions registry, @CommandLine.Option(names = "--taxonomy", required = true) String taxonomy) {
        return TaxonomyCommand.admin(registry, s -> Endpoints.allPages(
                token -> s.listSupports(ListSupportsRequest.newBuilder().setTaxonomy(taxonomy).setPageSize(200).setPageToken(token).build()),
                page -> page.getSamplesList().stream().map(x -> String.format("%s %-16s box %.0f,%.0f,%.0f,%.0f models %s", x.getId(),
                        x.getClassName(), x.getBox().getX1(), x.getBox().getY1(), x.getBox().getX2(), x.getBox().getY2(),
                        x.getEmbeddedModelVersionsList())).toList(),
                ListSupportsResponse::getNextPageToken, "(no supports)"));
    }

    @CommandLine.Command(name = "remove", mixinStandardHelpOptions = true, description = "Remove a support sample.")
    int remove(@CommandLine.Mixin RegistryOptions registry, @CommandLine.Option(names = "--taxonomy", required = true) String taxonomy,
               @CommandLine.Parameters(paramLabel = "ID", description = "support id") String id) {
        return TaxonomyCommand.admin(registry, s -> {
            WriteRetries.withRequestId(requestId -> s.removeSupport(RemoveSupportRequest.newBuilder().setTaxonomy(taxonomy).setSupportId(id)
                    .setRequestId(requestId).build()));
            return "removed " + id;
        });
    }
}
