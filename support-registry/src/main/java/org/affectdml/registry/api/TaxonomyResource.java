package org.affectdml.registry.api;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.grpc.StatusRuntimeException;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.affectdml.proto.v1.AddSupportRequest;
import org.affectdml.proto.v1.ClassifyRequest;
import org.affectdml.proto.v1.Taxonomy;
import org.affectdml.proto.v1.TaxonomyArchiveChunk;
import org.affectdml.registry.Classifier;
import org.affectdml.registry.ReembeddingWorker;
import org.affectdml.registry.RegistryErrors;
import org.affectdml.registry.TaxonomyService;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * REST/JSON face of the admin API and Classify for people using curl. Bodies are the affect.v1 messages in
 * protobuf's canonical JSON (camelCase fields, bytes as base64), so REST and gRPC share one contract.
 * Errors: {"code": "NOT_FOUND", "message": "..."} with the matching HTTP status.
 */
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "taxonomies", description = "Admin API (admin key) and Classify (client key); bodies are affect.v1 messages as JSON")
public class TaxonomyResource {

    private static final JsonFormat.Printer PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();
    private static final JsonFormat.Parser PARSER = JsonFormat.parser();

    @Inject
    TaxonomyService taxonomies;
    @Inject
    Classifier classifier;
    @Inject
    ReembeddingWorker reembedding;

    @POST
    @Path("/taxonomies")
    @Operation(summary = "Create a taxonomy (body: affect.v1.Taxonomy)")
    public Response create(String body) {
        return respond(201, () -> taxonomies.create(parse(body, Taxonomy.newBuilder())));
    }

    @GET
    @Path("/taxonomies")
    @Operation(summary = "List taxonomies (affect.v1.ListTaxonomiesResponse)")
    public Response list(@QueryParam("page_size") @DefaultValue("0") int pageSize, @QueryParam("page_token") @DefaultValue("") String token) {
        return respond(200, () -> taxonomies.list(pageSize, token));
    }

    @GET
    @Path("/taxonomies/{name}")
    @Operation(summary = "Get a taxonomy with its classes and support counts")
    public Response get(@PathParam("name") String name) {
        return respond(200, () -> taxonomies.get(name));
    }

    @DELETE
    @Path("/taxonomies/{name}")
    @Operation(summary = "Delete a taxonomy with all its supports")
    public Response delete(@PathParam("name") String name) {
        return respond(200, () -> org.affectdml.proto.v1.DeleteTaxonomyResponse.newBuilder().setDeletedSupports(taxonomies.delete(name)).build());
    }

    @POST
    @Path("/taxonomies/{name}/supports")
    @Operation(summary = "Add a support sample (body: affect.v1.AddSupportRequest without taxonomy); 201 when new, 200 when already stored")
    public Response addSupport(@PathParam("name") String name, String body) {
        try {
            AddSupportRequest r = parse(body, AddSupportRequest.newBuilder());
            var added = taxonomies.addSupport(name, r.getClassName(), r.getImage(), r.hasBox() ? r.getBox() : null, r.getMetadataMap());
            return json(added.getCreated() ? 201 : 200, added);
        } catch (Exception e) {
            return error(e);
        }
    }

    @GET
    @Path("/taxonomies/{name}/supports")
    @Operation(summary = "List support samples (affect.v1.ListSupportsResponse)")
    public Response listSupports(@PathParam("name") String name, @QueryParam("class") @DefaultValue("") String className,
                                 @QueryParam("page_size") @DefaultValue("0") int pageSize, @QueryParam("page_token") @DefaultValue("") String token) {
        return respond(200, () -> taxonomies.listSupports(name, className, pageSize, token));
    }

    @DELETE
    @Path("/taxonomies/{name}/supports/{id}")
    @Operation(summary = "Remove a support sample")
    public Response removeSupport(@PathParam("name") String name, @PathParam("id") String id) {
        return respond(200, () -> {
            taxonomies.removeSupport(name, id);
            return org.affectdml.proto.v1.RemoveSupportResponse.getDefaultInstance();
        });
    }

    @POST
    @Path("/taxonomies/{name}/classify")
    @Operation(summary = "Classify a person (body: affect.v1.ClassifyRequest without taxonomy); client key")
    public Response classify(@PathParam("name") String name, String body) {
        return respond(200, () -> {
            ClassifyRequest request = parse(body, ClassifyRequest.newBuilder());
            return classifier.classify(request.toBuilder().setTaxonomy(name).build());
        });
    }

    @GET
    @Path("/taxonomies/{name}/export")
    @Operation(summary = "Export a taxonomy with its images: a JSON array of affect.v1.TaxonomyArchiveChunk")
    public Response export(@PathParam("name") String name) {
        try {
            StringBuilder out = new StringBuilder("[");
            for (TaxonomyArchiveChunk chunk : taxonomies.export(name)) {
                out.append(out.length() > 1 ? "," : "").append(PRINTER.print(chunk));
            }
            return Response.ok(out.append(']').toString()).build();
        } catch (Exception e) {
            return error(e);
        }
    }

    @POST
    @Path("/taxonomies/import")
    @Operation(summary = "Import what export produced; supports are embedded with the local active model")
    public Response importTaxonomy(String body) {
        return respond(201, () -> {
            var array = new com.fasterxml.jackson.databind.ObjectMapper().readTree(body);
            if (!array.isArray() || array.isEmpty()) {
                throw RegistryErrors.invalid("body must be the JSON array that export produced");
            }
            List<TaxonomyArchiveChunk> chunks = new ArrayList<>();
            for (var node : array) {
                chunks.add(parse(node.toString(), TaxonomyArchiveChunk.newBuilder()));
            }
            if (!chunks.get(0).hasHeader()) {
                throw RegistryErrors.invalid("the first element must be the taxonomy header");
            }
            return taxonomies.importTaxonomy(chunks.get(0).getHeader(), chunks.subList(1, chunks.size()).stream()
                    .map(TaxonomyArchiveChunk::getSupport).toList());
        });
    }

    @GET
    @Path("/reembedding")
    @Operation(summary = "Progress of re-embedding supports with the active model (affect.v1.ReembeddingStatus)")
    public Response reembeddingStatus() {
        return respond(200, reembedding::status);
    }

    @SuppressWarnings("unchecked")
    private static <T extends Message> T parse(String body, Message.Builder builder) {
        try {
            PARSER.merge(body == null || body.isBlank() ? "{}" : body, builder);
            return (T) builder.build();
        } catch (InvalidProtocolBufferException e) {
            throw RegistryErrors.invalid("body is not a valid " + builder.getDescriptorForType().getFullName() + " in JSON: " + e.getMessage());
        }
    }

    private static Response respond(int status, Callable<? extends Message> work) {
        try {
            return json(status, work.call());
        } catch (Exception e) {
            return error(e);
        }
    }

    private static Response json(int status, Message message) throws InvalidProtocolBufferException {
        return Response.status(status).entity(PRINTER.print(message)).type(MediaType.APPLICATION_JSON).build();
    }

    static Response error(Exception e) {
        StatusRuntimeException s = RegistryErrors.toStatus(e);
        int http = switch (s.getStatus().getCode()) {
            case INVALID_ARGUMENT -> 400;
            case UNAUTHENTICATED -> 401;
            case PERMISSION_DENIED -> 403;
            case NOT_FOUND -> 404;
            case ALREADY_EXISTS -> 409;
            case FAILED_PRECONDITION -> 412;
            case RESOURCE_EXHAUSTED -> 429;
            case UNAVAILABLE -> 503;
            default -> 500;
        };
        var body = new java.util.LinkedHashMap<String, String>();
        body.put("code", s.getStatus().getCode().name());
        body.put("message", s.getStatus().getDescription());
        return Response.status(http).entity(body).type(MediaType.APPLICATION_JSON).build();
    }
}
