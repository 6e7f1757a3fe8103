package org.affectdml.registry.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.affectdml.proto.v1.AddSupportRequest;
import org.affectdml.proto.v1.AddSupportResponse;
import org.affectdml.proto.v1.ClassifyPersonsRequest;
import org.affectdml.proto.v1.ClassifyRequest;
import org.affectdml.proto.v1.DeleteTaxonomyResponse;
import org.affectdml.proto.v1.UpdateTaxonomyRequest;
import org.affectdml.proto.v1.EvaluateTaxonomyRequest;
import org.affectdml.registry.service.TaxonomyEvaluationService;
import org.affectdml.registry.service.EvaluationJobService;
import org.affectdml.registry.service.EvaluationUploadSpool;
import org.affectdml.registry.RegistryConfig;
import org.affectdml.proto.v1.EvaluationHeader;
import org.affectdml.proto.v1.EvaluationJob;
import org.affectdml.proto.v1.EvaluationUpload;
import org.affectdml.proto.v1.LabelledQuery;
import java.io.InputStream;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.affectdml.registry.security.ApiKeys;
import org.affectdml.service.security.ApiKeyVerifier;
import org.affectdml.proto.v1.RemoveSupportResponse;
import org.affectdml.proto.v1.Taxonomy;
import org.affectdml.proto.v1.TaxonomyArchiveChunk;
import org.affectdml.registry.service.ClassificationService;
import org.affectdml.registry.service.ReembeddingWorker;
import org.affectdml.registry.service.SupportService;
import org.affectdml.registry.service.TaxonomyArchiveService;
import org.affectdml.registry.service.TaxonomyService;
import org.affectdml.service.errors.Errors;
import org.affectdml.service.errors.Inputs;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.util.ArrayList;
import java.util.List;

/**
 * REST/JSON face of the admin API and Classify for people using curl. Bodies are the affect.v1 messages in
 * protobuf's canonical JSON (camelCase fields, bytes as base64), so REST and gRPC share one contract.
 * Errors: {"code": "NOT_FOUND", "message": "..."} with the matching HTTP status ({@link RestErrors}). The OpenAPI
 * document types each body by the message named here, with schemas generated from the descriptors
 * ({@link ProtoOpenApiFilter}).
 */
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "taxonomies", description = "Admin API (admin key) and Classify (client key); bodies are affect.v1 messages as JSON")
public class TaxonomyResource {

    private static final JsonFormat.Printer PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();
    private static final JsonFormat.Parser PARSER = JsonFormat.parser();
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Header of a write's idempotency key (request_id of the gRPC API). */
    static final String IDEMPOTENCY_KEY = "Idempotency-Key";

    @Inject
    TaxonomyService taxonomies;
    @Inject
    SupportService supports;
    @Inject
    TaxonomyArchiveService archives;
    @Inject
    ClassificationService classification;
    @Inject
    ReembeddingWorker reembedding;
    @Inject
    TaxonomyEvaluationService evaluation;
    @Inject
    EvaluationJobService evaluationJobs;
    @Inject
    RegistryConfig config;
    @Inject
    ApiKeys apiKeys;

    @POST
    @Path("/taxonomies")
    @Operation(summary = "Create a taxonomy (body: affect.v1.Taxonomy)")
    @RequestBody(content = @Content(schema = @Schema(ref = "affect.v1.Taxonomy")))
    @APIResponse(responseCode = "201", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "affect.v1.Taxonomy")))
    public Response create(@HeaderParam(IDEMPOTENCY_KEY) String key, String body) throws InvalidProtocolBufferException {
        return json(201, taxonomies.create(parse(body, Taxonomy.newBuilder()), requestId(key, "")));
    }

    @GET
    @Path("/taxonomies")
    @Operation(summary = "List taxonomies (affect.v1.ListTaxonomiesResponse)")
    @APIResponse(responseCode = "200", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "affect.v1.ListTaxonomiesResponse")))
    public Response list(@QueryParam("page_size") @DefaultValue("0") String pageSize, @QueryParam("page_token") @DefaultValue("") String token)
            throws InvalidProtocolBufferException {
        return json(200, taxonomies.list(pageSize(pageSize), token));
    }

    @GET
    @Path("/taxonomies/{name}")
    @Operation(summary = "Get a taxonomy with its classes and support counts")
    @APIResponse(responseCode = "200", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "affect.v1.Taxonomy")))
    public Response get(@PathParam("name") String name) throws InvalidProtocolBufferException {
        return json(200, taxonomies.get(name));
    }

    @PATCH
    @Path("/taxonomies/{name}")
    @Operation(summary = "Update a taxonomy: description, rejection rule, classes added or removed (body: affect.v1.UpdateTaxonomyRequest; "
            + "expected_revision required, 409 when it is no longer current)")
    @RequestBody(content = @Content(schema = @Schema(ref = "affect.v1.UpdateTaxonomyRequest")))
    @APIResponse(responseCode = "200", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "affect.v1.Taxonomy")))
    public Response update(@PathParam("name") String name, @HeaderParam(IDEMPOTENCY_KEY) String key, String body)
            throws InvalidProtocolBufferException {
        UpdateTaxonomyRequest request = parse(body, UpdateTaxonomyRequest.newBuilder());
        return json(200, taxonomies.update(request.toBuilder().setName(name).setRequestId(requestId(key, request.getRequestId())).build()));
    }

    @POST
    @Path("/taxonomies/{name}/evaluate")
    @Operation(summary = "Evaluate a taxonomy from its supports (body: affect.v1.EvaluateTaxonomyRequest, may be empty)")
    @RequestBody(content = @Content(schema = @Schema(ref = "affect.v1.EvaluateTaxonomyRequest")))
    @APIResponse(responseCode = "200", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "affect.v1.TaxonomyEvaluation")))
    public Response evaluate(@PathParam("name") String name, String body) throws InvalidProtocolBufferException {
        EvaluateTaxonomyRequest request = parse(body, EvaluateTaxonomyRequest.newBuilder());
        return json(200, evaluation.evaluate(request.toBuilder().setName(name).build()));
    }

    @POST
    @Path("/taxonomies/{name}/evaluations")
    @Consumes("application/x-ndjson")
    @Operation(summary = "Start an evaluation job on labelled queries: one affect.v1.LabelledQuery in JSON per line (class_name empty "
            + "for a person of none of the classes), streamed and spooled as it arrives; an empty body evaluates the supports. "
            + "202 with the job (affect.v1.EvaluationJob) and its Location; the body is limited by quarkus.http.limits.max-body-size, "
            + "larger uploads go through gRPC StartEvaluation")
    @APIResponse(responseCode = "202", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "affect.v1.EvaluationJob")))
    public Response startEvaluation(@PathParam("name") String name,
                                    @QueryParam("target_false_accept_rate") @DefaultValue("0") String target, InputStream body)
            throws InvalidProtocolBufferException {
        float rate = targetRate(target);
        EvaluationUploadSpool spool = evaluationJobs.newSpool();
        EvaluationJob job;
        try {
            spool.accept(EvaluationUpload.newBuilder().setHeader(EvaluationHeader.newBuilder().setTaxonomy(name)
                    .setTargetFalseAcceptRate(rate)).build());
            NdjsonLines.forEach(new java.io.BufferedInputStream(body, 1 << 16), maxQueryLineBytes(), line ->
                    spool.accept(EvaluationUpload.newBuilder().setQuery((LabelledQuery) parse(line, LabelledQuery.newBuilder())).build()));
        } catch (RuntimeException e) {
            spool.discard();
            throw e;
        }
        job = evaluationJobs.submit(spool);
        return Response.status(202).type(MediaType.APPLICATION_JSON).entity(PRINTER.print(job))
                .header("Location", "/api/v1/evaluations/" + job.getId()).build();
    }

    @GET
    @Path("/evaluations/{id}")
    @Operation(summary = "An evaluation job: state, progress and, when SUCCEEDED, its affect.v1.TaxonomyEvaluation")
    @APIResponse(responseCode = "200", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "affect.v1.EvaluationJob")))
    public Response evaluationJob(@PathParam("id") String id) throws InvalidProtocolBufferException {
        return json(200, evaluationJobs.get(id));
    }

    /** A query's JSON line: its image in base64 (4/3 of the bytes) plus room for the box and class name. */
    private int maxQueryLineBytes() {
        return (int) Math.min(Integer.MAX_VALUE - 16, (long) config.maxImageBytes() * 4 / 3 + 65536);
    }

    private static float targetRate(String value) {
        try {
            return Float.parseFloat(value.trim());
        } catch (NumberFormatException e) {
            throw Errors.invalidArgument("target_false_accept_rate must be a number in (0, 1) (0 = 0.05), got " + Inputs.quoted(value));
        }
    }

    @DELETE
    @Path("/taxonomies/{name}")
    @Operation(summary = "Delete a taxonomy with all its supports")
    @APIResponse(responseCode = "200", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "affect.v1.DeleteTaxonomyResponse")))
    public Response delete(@PathParam("name") String name, @HeaderParam(IDEMPOTENCY_KEY) String key) throws InvalidProtocolBufferException {
        return json(200, taxonomies.delete(name, requestId(key, "")));
    }

    @POST
    @Path("/taxonomies/{name}/supports")
    @Operation(summary = "Add a support sample (body: affect.v1.AddSupportRequest without taxonomy); 201 when new, 200 when already stored")
    @RequestBody(content = @Content(schema = @Schema(ref = "affect.v1.AddSupportRequest")))
    @APIResponse(responseCode = "201", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "affect.v1.AddSupportResponse")))
    @APIResponse(responseCode = "200", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "affect.v1.AddSupportResponse")))
    public Response addSupport(@PathParam("name") String name, @HeaderParam(IDEMPOTENCY_KEY) String key, String body)
            throws InvalidProtocolBufferException {
        AddSupportRequest r = parse(body, AddSupportRequest.newBuilder());
        AddSupportResponse added = supports.add(r.toBuilder().setTaxonomy(name).setRequestId(requestId(key, r.getRequestId())).build());
        return json(added.getCreated() ? 201 : 200, added);
    }

    @GET
    @Path("/taxonomies/{name}/supports")
    @Operation(summary = "List support samples (affect.v1.ListSupportsResponse)")
    @APIResponse(responseCode = "200", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "affect.v1.ListSupportsResponse")))
    public Response listSupports(@PathParam("name") String name, @QueryParam("class") @DefaultValue("") String className,
                                 @QueryParam("page_size") @DefaultValue("0") String pageSize, @QueryParam("page_token") @DefaultValue("") String token)
            throws InvalidProtocolBufferException {
        return json(200, supports.list(name, className, pageSize(pageSize), token));
    }

    @GET
    @Path("/taxonomies/{name}/supports/{id}")
    @Operation(summary = "One support sample (affect.v1.SupportSample, with its nearest own- and other-class distances)")
    @APIResponse(responseCode = "200", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "affect.v1.SupportSample")))
    public Response getSupport(@PathParam("name") String name, @PathParam("id") String id) throws InvalidProtocolBufferException {
        return json(200, supports.get(name, id));
    }

    @GET
    @Path("/taxonomies/{name}/supports/{id}/image")
    @Produces({"image/jpeg", "image/png", MediaType.APPLICATION_JSON})
    @Operation(summary = "The original image of a support sample, as uploaded (image/jpeg or image/png)")
    @APIResponse(responseCode = "200", content = {@Content(mediaType = "image/jpeg"), @Content(mediaType = "image/png")})
    public Response supportImage(@PathParam("name") String name, @PathParam("id") String id) {
        SupportService.OriginalImage image = supports.image(name, id);
        // The bytes are the client's upload: never let a browser guess another type or run them as a document.
        return Response.ok(image.bytes(), image.mediaType()).header("X-Content-Type-Options", "nosniff")
                .header("Content-Security-Policy", "default-src 'none'; sandbox").header("Cache-Control", "private, max-age=3600")
                .build();
    }

    @GET
    @Path("/whoami")
    @Operation(summary = "The role of the presented key (admin or client): what a user interface may offer")
    @APIResponse(responseCode = "200", content = @Content(mediaType = MediaType.APPLICATION_JSON))
    public Response whoAmI(@jakarta.ws.rs.HeaderParam(jakarta.ws.rs.core.HttpHeaders.AUTHORIZATION) String authorization) {
        ApiKeyVerifier verifier = apiKeys.verifier();
        boolean admin = verifier.check(authorization, ApiKeyVerifier.Role.ADMIN) == ApiKeyVerifier.Verdict.ALLOWED;
        ObjectNode body = JSON.createObjectNode().put("role", admin ? "admin" : "client").put("auth_enabled", verifier.enabled())
                .put("max_image_bytes", config.maxImageBytes()).put("max_persons", config.maxPersons());
        return Response.ok(body.toString(), MediaType.APPLICATION_JSON).build();
    }

    @DELETE
    @Path("/taxonomies/{name}/supports/{id}")
    @Operation(summary = "Remove a support sample")
    @APIResponse(responseCode = "200", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "affect.v1.RemoveSupportResponse")))
    public Response removeSupport(@PathParam("name") String name, @PathParam("id") String id, @HeaderParam(IDEMPOTENCY_KEY) String key)
            throws InvalidProtocolBufferException {
        return json(200, supports.remove(name, id, requestId(key, "")));
    }

    @POST
    @Path("/taxonomies/{name}/classify")
    @Operation(summary = "Classify a person (body: affect.v1.ClassifyRequest without taxonomy); client key")
    @RequestBody(content = @Content(schema = @Schema(ref = "affect.v1.ClassifyRequest")))
    @APIResponse(responseCode = "200", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "affect.v1.ClassifyResponse")))
    public Response classify(@PathParam("name") String name, String body) throws InvalidProtocolBufferException {
        ClassifyRequest request = parse(body, ClassifyRequest.newBuilder());
        return json(200, classification.classify(request.toBuilder().setTaxonomy(name).build()));
    }

    @POST
    @Path("/taxonomies/{name}/classify-persons")
    @Operation(summary = "Classify every person box of one image (body: affect.v1.ClassifyPersonsRequest without taxonomy); client key")
    @RequestBody(content = @Content(schema = @Schema(ref = "affect.v1.ClassifyPersonsRequest")))
    @APIResponse(responseCode = "200", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "affect.v1.ClassifyPersonsResponse")))
    public Response classifyPersons(@PathParam("name") String name, String body) throws InvalidProtocolBufferException {
        ClassifyPersonsRequest request = parse(body, ClassifyPersonsRequest.newBuilder());
        return json(200, classification.classifyPersons(request.toBuilder().setTaxonomy(name).build()));
    }

    @GET
    @Path("/taxonomies/{name}/export")
    @Operation(summary = "Export a taxonomy with its images: a JSON array of affect.v1.TaxonomyArchiveChunk")
    public Response export(@PathParam("name") String name) throws InvalidProtocolBufferException {
        StringBuilder out = new StringBuilder("[");
        for (TaxonomyArchiveChunk chunk : archives.export(name)) {
            out.append(out.length() > 1 ? "," : "").append(PRINTER.print(chunk));
        }
        return Response.ok(out.append(']').toString()).build();
    }

    @POST
    @Path("/taxonomies/import")
    @Operation(summary = "Import what export produced; supports are embedded with the local active model")
    @APIResponse(responseCode = "201", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "affect.v1.Taxonomy")))
    public Response importTaxonomy(@HeaderParam(IDEMPOTENCY_KEY) String key, String body) throws InvalidProtocolBufferException {
        JsonNode array;
        try {
            array = JSON.readTree(body == null || body.isBlank() ? "null" : body);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw Errors.invalidArgument("body is not JSON; send the array that export produced");
        }
        if (array == null || !array.isArray() || array.isEmpty()) {
            throw Errors.invalidArgument("body must be the JSON array that export produced");
        }
        List<TaxonomyArchiveChunk> chunks = new ArrayList<>();
        for (JsonNode node : array) {
            chunks.add(parse(node.toString(), TaxonomyArchiveChunk.newBuilder()));
        }
        return json(201, archives.importChunks(chunks, key == null ? "" : key));
    }

    @GET
    @Path("/reembedding")
    @Operation(summary = "Progress of re-embedding supports with the active model (affect.v1.ReembeddingStatus)")
    @APIResponse(responseCode = "200", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "affect.v1.ReembeddingStatus")))
    public Response reembeddingStatus() throws InvalidProtocolBufferException {
        return json(200, reembedding.status());
    }

    /**
     * The request id of a write: the Idempotency-Key header (the HTTP convention), else the body's request_id; both,
     * differing, is a 400.
     */
    private static String requestId(String header, String inBody) {
        if (header == null || header.isEmpty()) {
            return inBody;
        }
        if (!inBody.isEmpty() && !inBody.equals(header)) {
            throw Errors.invalidArgument("the Idempotency-Key header and the body's requestId differ; send one of them");
        }
        return header;
    }

    /** The page_size query parameter; a value that is not a number is a 400 naming it, not JAX-RS' 404. */
    private static int pageSize(String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw Errors.invalidArgument("page_size must be a whole number (0 = the default), got " + Inputs.quoted(value));
        }
    }

    @SuppressWarnings("unchecked")
    private static <T extends Message> T parse(String body, Message.Builder builder) {
        try {
            PARSER.merge(body == null || body.isBlank() ? "{}" : body, builder);
            Inputs.requireWellFormed(builder);  // JSON escapes can still carry a lone surrogate ("\ud800")
            return (T) builder.build();
        } catch (InvalidProtocolBufferException e) {
            throw Errors.invalidArgument("body is not a valid " + builder.getDescriptorForType().getFullName() + " in JSON: " + reason(e));
        }
    }

    /** The parser's reason in one short line, without the JSON library's class names or links. */
    static String reason(Exception e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? "malformed" : root.getMessage().lines().findFirst().orElse("malformed");
        message = message.replaceFirst("^[a-z]+(\\.[a-z0-9]+)+\\.[A-Za-z]+(Exception|Error): ", "");
        return message.length() <= 160 ? message : message.substring(0, 160) + "...";
    }

    private static Response json(int status, Message message) throws InvalidProtocolBufferException {
        return Response.status(status).entity(PRINTER.print(message)).type(MediaType.APPLICATION_JSON).build();
    }
}
