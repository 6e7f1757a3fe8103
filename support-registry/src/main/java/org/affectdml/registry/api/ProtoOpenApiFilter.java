package org.affectdml.registry.api;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import io.quarkus.smallrye.openapi.OpenApiFilter;
import org.affectdml.proto.v1.RegistryProto;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.Components;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.media.Schema;
import org.eclipse.microprofile.openapi.models.security.SecurityScheme;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Types the REST API's OpenAPI document from the proto descriptors, so the JSON schemas are those of protobuf's
 * canonical JSON mapping and cannot drift from registry.proto: every affect.v1 message an operation names
 * ({@code @Schema(ref = "affect.v1.X")} on the resource) and every message they contain become components;
 * every operation answers the {@code Error} body on failure; the bearer API key is the security scheme.
 */
@OpenApiFilter
public class ProtoOpenApiFilter implements OASFilter {

    static final String PREFIX = "#/components/schemas/";
    static final String ERROR = "Error";
    static final String API_KEY = "apiKey";

    @Override
    public void filterOpenAPI(OpenAPI openAPI) {
        Components components = openAPI.getComponents() == null ? OASFactory.createComponents() : openAPI.getComponents();
        openAPI.setComponents(components);
        schemasOf(RegistryProto.getDescriptor().getMessageTypes()).forEach(components::addSchema);
        components.addSchema(ERROR, errorSchema());
        components.addSecurityScheme(API_KEY, OASFactory.createSecurityScheme().type(SecurityScheme.Type.HTTP).scheme("bearer")
                .description("An API key: admin keys for the admin API, client (or admin) keys for classify and classify-persons"));
        openAPI.addSecurityRequirement(OASFactory.createSecurityRequirement().addScheme(API_KEY));
        if (openAPI.getPaths() != null) {
            openAPI.getPaths().getPathItems().values().forEach(item -> item.getOperations().values().forEach(ProtoOpenApiFilter::withErrors));
        }
    }

    private static void withErrors(Operation operation) {
        if (operation.getResponses() != null && operation.getResponses().getAPIResponse("default") == null) {
            operation.getResponses().addAPIResponse("default", OASFactory.createAPIResponse()
                    .description("Any failure: the HTTP status of its gRPC code and {code, message}")
                    .content(OASFactory.createContent().addMediaType("application/json", OASFactory.createMediaType()
                            .schema(OASFactory.createSchema().ref(PREFIX + ERROR)))));
        }
    }

    /** A schema per message, for the given ones and every message their fields reach. */
    static Map<String, Schema> schemasOf(Iterable<Descriptor> roots) {
        Map<String, String> comments = new java.util.HashMap<>();
        for (String file : List.of("common.proto", "registry.proto")) {
            comments.putAll(ProtoComments.of(file));
        }
        Map<String, Schema> schemas = new TreeMap<>();
        Deque<Descriptor> todo = new ArrayDeque<>();
        roots.forEach(todo::add);
        while (!todo.isEmpty()) {
            Descriptor message = todo.pop();
            if (schemas.containsKey(message.getFullName()) || message.getOptions().getMapEntry()) {
                continue;
            }
            String about = comments.get(message.getFullName());
            Schema schema = OASFactory.createSchema().addType(Schema.SchemaType.OBJECT)
                    .description("protobuf " + message.getFullName() + (about == null ? "" : ": " + about));
            for (FieldDescriptor field : message.getFields()) {
                Schema property = fieldSchema(field, todo);
                String fieldAbout = comments.get(message.getFullName() + "." + field.getName());
                schema.addProperty(field.getJsonName(), fieldAbout == null ? property : property.description(fieldAbout));
            }
            schemas.put(message.getFullName(), schema);
        }
        return schemas;
    }

    private static Schema fieldSchema(FieldDescriptor field, Deque<Descriptor> todo) {
        if (field.isMapField()) {
            FieldDescriptor value = field.getMessageType().findFieldByName("value");
            return OASFactory.createSchema().addType(Schema.SchemaType.OBJECT).additionalPropertiesSchema(singular(value, todo));
        }
        Schema one = singular(field, todo);
        return field.isRepeated() ? OASFactory.createSchema().addType(Schema.SchemaType.ARRAY).items(one) : one;
    }

    /** proto3 JSON: 64-bit integers are strings, bytes base64 strings, enums their value names. */
    private static Schema singular(FieldDescriptor field, Deque<Descriptor> todo) {
        Schema s = OASFactory.createSchema();
        return switch (field.getJavaType()) {
            case INT -> s.addType(Schema.SchemaType.INTEGER).format("int32");
            case LONG -> s.addType(Schema.SchemaType.STRING).format("int64");
            case FLOAT -> s.addType(Schema.SchemaType.NUMBER).format("float");
            case DOUBLE -> s.addType(Schema.SchemaType.NUMBER).format("double");
            case BOOLEAN -> s.addType(Schema.SchemaType.BOOLEAN);
            case STRING -> s.addType(Schema.SchemaType.STRING);
            case BYTE_STRING -> s.addType(Schema.SchemaType.STRING).format("byte");
            case ENUM -> {
                s.addType(Schema.SchemaType.STRING);
                for (EnumValueDescriptor v : field.getEnumType().getValues()) {
                    s.addEnumeration(v.getName());
                }
                yield s;
            }
            case MESSAGE -> {
                todo.add(field.getMessageType());
                yield s.ref(PREFIX + field.getMessageType().getFullName());
            }
        };
    }

    private static Schema errorSchema() {
        Schema code = OASFactory.createSchema().addType(Schema.SchemaType.STRING).description("the gRPC status code name");
        for (io.grpc.Status.Code c : io.grpc.Status.Code.values()) {
            code.addEnumeration(c.name());
        }
        return OASFactory.createSchema().addType(Schema.SchemaType.OBJECT)
                .description("Every REST error: the HTTP status of its gRPC code, with the code and a message a person can act on")
                .addProperty("code", code)
                .addProperty("message", OASFactory.createSchema().addType(Schema.SchemaType.STRING))
                .addRequired("code").addRequired("message");
    }
}
