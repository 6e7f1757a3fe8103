package org.affectdml.registry.api;

import io.grpc.StatusRuntimeException;
import jakarta.inject.Inject;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.affectdml.service.errors.ErrorMapper;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every exception of the REST API as {"code": "...", "message": "..."} with the HTTP status of its gRPC code, from
 * the same {@link ErrorMapper} the gRPC services use, so both faces answer the same failure the same way.
 */
public class RestErrors {

    @Inject
    ErrorMapper errors;

    @ServerExceptionMapper
    public Response map(Exception e) {
        StatusRuntimeException s = errors.toStatus(e);
        return body(httpStatus(s.getStatus().getCode()), s.getStatus().getCode().name(), s.getStatus().getDescription());
    }

    /** JAX-RS' own refusals (unknown path, wrong method or content type, ...) keep their HTTP status, with the same body. */
    @ServerExceptionMapper
    public Response map(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        Response.StatusType type = Response.Status.fromStatusCode(status);
        return body(status, grpcCode(status).name(), type == null ? "HTTP " + status : type.getReasonPhrase());
    }

    public static Response body(int httpStatus, String code, String message) {
        Map<String, String> body = new LinkedHashMap<>();
        body.put("code", code);
        body.put("message", message == null ? "" : message);
        return Response.status(httpStatus).entity(body).type(MediaType.APPLICATION_JSON).build();
    }

    static io.grpc.Status.Code grpcCode(int httpStatus) {
        return switch (httpStatus) {
            case 400, 414, 415 -> io.grpc.Status.Code.INVALID_ARGUMENT;
            case 401 -> io.grpc.Status.Code.UNAUTHENTICATED;
            case 403 -> io.grpc.Status.Code.PERMISSION_DENIED;
            case 404 -> io.grpc.Status.Code.NOT_FOUND;
            case 405, 501 -> io.grpc.Status.Code.UNIMPLEMENTED;
            case 409 -> io.grpc.Status.Code.ALREADY_EXISTS;
            case 412 -> io.grpc.Status.Code.FAILED_PRECONDITION;
            case 413, 429 -> io.grpc.Status.Code.RESOURCE_EXHAUSTED;
            case 503 -> io.grpc.Status.Code.UNAVAILABLE;
            default -> httpStatus >= 500 ? io.grpc.Status.Code.INTERNAL : io.grpc.Status.Code.UNKNOWN;
        };
    }

    static int httpStatus(io.grpc.Status.Code code) {
        return switch (code) {
            case INVALID_ARGUMENT, OUT_OF_RANGE -> 400;
            case UNAUTHENTICATED -> 401;
            case PERMISSION_DENIED -> 403;
            case NOT_FOUND -> 404;
            case ALREADY_EXISTS, ABORTED -> 409;
            case FAILED_PRECONDITION -> 412;
            case RESOURCE_EXHAUSTED -> 429;
            case UNAVAILABLE -> 503;
            case DEADLINE_EXCEEDED -> 504;
            default -> 500;
        };
    }
}
