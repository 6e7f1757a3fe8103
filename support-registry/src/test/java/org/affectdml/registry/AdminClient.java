package org.affectdml.registry;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.affectdml.proto.v1.AddSupportRequest;
import org.affectdml.proto.v1.AddSupportResponse;
import org.affectdml.proto.v1.CreateTaxonomyRequest;
import org.affectdml.proto.v1.DeleteTaxonomyRequest;
import org.affectdml.proto.v1.DeleteTaxonomyResponse;
import org.affectdml.proto.v1.GetTaxonomyRequest;
import org.affectdml.proto.v1.ListSupportsRequest;
import org.affectdml.proto.v1.ListSupportsResponse;
import org.affectdml.proto.v1.RemoveSupportRequest;
import org.affectdml.proto.v1.RemoveSupportResponse;
import org.affectdml.proto.v1.Taxonomy;
import org.affectdml.proto.v1.TaxonomyAdminGrpc;
import org.affectdml.proto.v1.UpdateTaxonomyRequest;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The registry's admin writes as one client sees them, over gRPC or REST, each answer an {@link Outcome} (a status
 * code and, when OK, the answer as the gRPC message) instead of an exception, so a history of calls can be recorded
 * and checked. Request ids travel as request_id (gRPC) or the Idempotency-Key header (REST).
 */
interface AdminClient {

    Duration CALL_DEADLINE = Duration.ofSeconds(30);

    /** What one call answered. */
    record Outcome<T extends Message>(Status.Code code, T answer, String message) {
        boolean ok() {
            return code == Status.Code.OK;
        }

        /** No answer that says what happened: the change may or may not have been made. */
        boolean unknown() {
            return code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED;
        }
    }

    String name();

    Outcome<Taxonomy> create(CreateTaxonomyRequest request);

    Outcome<Taxonomy> update(UpdateTaxonomyRequest request);

    Outcome<AddSupportResponse> add(AddSupportRequest request);

    Outcome<RemoveSupportResponse> remove(RemoveSupportRequest request);

    Outcome<DeleteTaxonomyResponse> delete(DeleteTaxonomyRequest request);

    Outcome<Taxonomy> get(String taxonomy);

    /** ImportTaxonomy of these chunks (a client stream in gRPC, a JSON array in REST). */
    Outcome<Taxonomy> importTaxonomy(java.util.List<org.affectdml.proto.v1.TaxonomyArchiveChunk> chunks);

    Outcome<ListSupportsResponse> supports(String taxonomy, String pageToken);

    private static io.grpc.Metadata bearer(String key) {
        io.grpc.Metadata headers = new io.grpc.Metadata();
        headers.put(io.grpc.Metadata.Key.of("authorization", io.grpc.Metadata.ASCII_STRING_MARSHALLER), "Bearer " + key);
        return headers;
    }

    static AdminClient grpc(String name, ManagedChannel channel, String adminKey) {
        TaxonomyAdminGrpc.TaxonomyAdminBlockingStub base = RegistryTestSupport.withKey(TaxonomyAdminGrpc.newBlockingStub(channel), adminKey);
        return new AdminClient() {
            private TaxonomyAdminGrpc.TaxonomyAdminBlockingStub stub() {
                return base.withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
            }

            private <T extends Message> Outcome<T> call(Supplier<T> call) {
                try {
                    return new Outcome<>(Status.Code.OK, call.get(), "");
                } catch (StatusRuntimeException e) {
                    return new Outcome<>(e.getStatus().getCode(), null, String.valueOf(e.getStatus().getDescription()));
                }
            }

            public String name() {
                return name;
            }

            public Outcome<Taxonomy> create(CreateTaxonomyRequest r) {
                return call(() -> stub().createTaxonomy(r));
            }

            public Outcome<Taxonomy> update(UpdateTaxonomyRequest r) {
                return call(() -> stub().updateTaxonomy(r));
            }

            public Outcome<AddSupportResponse> add(AddSupportRequest r) {
                return call(() -> stub().addSupport(r));
            }

            public Outcome<RemoveSupportResponse> remove(RemoveSupportRequest r) {
                return call(() -> stub().removeSupport(r));
            }

            public Outcome<DeleteTaxonomyResponse> delete(DeleteTaxonomyRequest r) {
                return call(() -> stub().deleteTaxonomy(r));
            }

            public Outcome<Taxonomy> get(String taxonomy) {
                return call(() -> stub().getTaxonomy(GetTaxonomyRequest.newBuilder().setName(taxonomy).build()));
            }

            public Outcome<Taxonomy> importTaxonomy(java.util.List<org.affectdml.proto.v1.TaxonomyArchiveChunk> chunks) {
                java.util.concurrent.CompletableFuture<Taxonomy> answer = new java.util.concurrent.CompletableFuture<>();
                var upload = TaxonomyAdminGrpc.newStub(channel)
                        .withInterceptors(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(bearer(adminKey)))
                        .withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                        .importTaxonomy(org.affectdml.service.testing.SingleAnswer.into(answer));
                chunks.forEach(upload::onNext);
                upload.onCompleted();
                try {
                    return new Outcome<>(Status.Code.OK, answer.get(CALL_DEADLINE.toMillis() * 2, TimeUnit.MILLISECONDS), "");
                } catch (java.util.concurrent.ExecutionException e) {
                    Status s = Status.fromThrowable(e.getCause());
                    return new Outcome<>(s.getCode(), null, String.valueOf(s.getDescription()));
                } catch (Exception e) {
                    return new Outcome<>(Status.Code.DEADLINE_EXCEEDED, null, "no answer: " + e);
                }
            }

            public Outcome<ListSupportsResponse> supports(String taxonomy, String pageToken) {
                return call(() -> stub().listSupports(ListSupportsRequest.newBuilder().setTaxonomy(taxonomy).setPageSize(500)
                        .setPageToken(pageToken).build()));
            }
        };
    }

    static AdminClient rest(String name, String baseUrl, String adminKey) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        JsonFormat.Printer printer = JsonFormat.printer();
        return new AdminClient() {
            private <T extends Message> Outcome<T> call(String method, String path, Message body, String requestId, Message.Builder answer) {
                HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(baseUrl + "api/v1" + path)).timeout(CALL_DEADLINE)
                        .header("Authorization", "Bearer " + adminKey).header("Content-Type", "application/json");
                if (!requestId.isEmpty()) {
                    r.header("Idempotency-Key", requestId);
                }
                try {
                    r.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(printer.print(body)));
                    HttpResponse<String> response = http.send(r.build(), HttpResponse.BodyHandlers.ofString());
                    if (response.statusCode() / 100 == 2) {
                        JsonFormat.parser().merge(response.body(), answer);
                        @SuppressWarnings("unchecked")
                        T parsed = (T) answer.build();
                        return new Outcome<>(Status.Code.OK, parsed, "");
                    }
                    var error = new com.fasterxml.jackson.databind.ObjectMapper().readTree(response.body());
                    String code = error.path("code").asText("HTTP_" + response.statusCode());
                    Status.Code parsed;
                    try {
                        parsed = Status.Code.valueOf(code);
                    } catch (IllegalArgumentException notAGrpcCode) {
                        parsed = Status.Code.UNKNOWN;
                    }
                    return new Outcome<>(parsed, null, response.statusCode() + " " + error.path("message").asText());
                } catch (InvalidProtocolBufferException e) {
                    return new Outcome<>(Status.Code.UNKNOWN, null, "answer is not the message: " + e.getMessage());
                } catch (java.net.http.HttpTimeoutException e) {
                    return new Outcome<>(Status.Code.DEADLINE_EXCEEDED, null, "timed out");
                } catch (IOException e) {
                    return new Outcome<>(Status.Code.UNAVAILABLE, null, "no answer: " + e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return new Outcome<>(Status.Code.CANCELLED, null, "interrupted");
                }
            }

            private static String path(String segment) {
                return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
            }

            public String name() {
                return name;
            }

            public Outcome<Taxonomy> create(CreateTaxonomyRequest r) {
                return call("POST", "/taxonomies", r.getTaxonomy(), r.getRequestId(), Taxonomy.newBuilder());
            }

            public Outcome<Taxonomy> update(UpdateTaxonomyRequest r) {
                return call("PATCH", "/taxonomies/" + path(r.getName()), r.toBuilder().clearRequestId().build(), r.getRequestId(),
                        Taxonomy.newBuilder());
            }

            public Outcome<AddSupportResponse> add(AddSupportRequest r) {
                return call("POST", "/taxonomies/" + path(r.getTaxonomy()) + "/supports", r.toBuilder().clearRequestId().build(),
                        r.getRequestId(), AddSupportResponse.newBuilder());
            }

            public Outcome<RemoveSupportResponse> remove(RemoveSupportRequest r) {
                return call("DELETE", "/taxonomies/" + path(r.getTaxonomy()) + "/supports/" + path(r.getSupportId()), null,
                        r.getRequestId(), RemoveSupportResponse.newBuilder());
            }

            public Outcome<DeleteTaxonomyResponse> delete(DeleteTaxonomyRequest r) {
                return call("DELETE", "/taxonomies/" + path(r.getName()), null, r.getRequestId(), DeleteTaxonomyResponse.newBuilder());
            }

            public Outcome<Taxonomy> get(String taxonomy) {
                return call("GET", "/taxonomies/" + path(taxonomy), null, "", Taxonomy.newBuilder());
            }

            public Outcome<Taxonomy> importTaxonomy(java.util.List<org.affectdml.proto.v1.TaxonomyArchiveChunk> chunks) {
                HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(baseUrl + "api/v1/taxonomies/import")).timeout(CALL_DEADLINE)
                        .header("Authorization", "Bearer " + adminKey).header("Content-Type", "application/json");
                try {
                    StringBuilder body = new StringBuilder("[");
                    for (var chunk : chunks) {
                        body.append(body.length() > 1 ? "," : "").append(printer.print(chunk));
                    }
                    HttpResponse<String> response = http.send(r.POST(HttpRequest.BodyPublishers.ofString(body.append(']').toString())).build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (response.statusCode() / 100 == 2) {
                        Taxonomy.Builder t = Taxonomy.newBuilder();
                        JsonFormat.parser().merge(response.body(), t);
                        return new Outcome<>(Status.Code.OK, t.build(), "");
                    }
                    var error = new com.fasterxml.jackson.databind.ObjectMapper().readTree(response.body());
                    return new Outcome<>(Status.Code.valueOf(error.path("code").asText("UNKNOWN")), null, error.path("message").asText());
                } catch (IOException e) {
                    return new Outcome<>(Status.Code.UNAVAILABLE, null, "no answer: " + e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return new Outcome<>(Status.Code.CANCELLED, null, "interrupted");
                }
            }

            public Outcome<ListSupportsResponse> supports(String taxonomy, String pageToken) {
                return call("GET", "/taxonomies/" + path(taxonomy) + "/supports?page_size=500&page_token=" + path(pageToken), null, "",
                        ListSupportsResponse.newBuilder());
            }
        };
    }
}
