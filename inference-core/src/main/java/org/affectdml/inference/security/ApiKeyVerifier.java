package org.affectdml.inference.security;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.Status;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

/**
 * API keys and their roles, shared by the services that need a credential (support-registry, trainer).
 * Keys are compared in constant time and never logged; "authorization: Bearer KEY" is read from gRPC metadata
 * or the HTTP header.
 */
public final class ApiKeyVerifier {

    public enum Role { ADMIN, CLIENT }

    /** Outcome of checking a request's credential against the role it needs. */
    public enum Verdict { ALLOWED, UNAUTHENTICATED, PERMISSION_DENIED }

    public static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final boolean enabled;
    private final List<byte[]> adminKeys;
    private final List<byte[]> clientKeys;

    public ApiKeyVerifier(boolean enabled, List<String> adminKeys, List<String> clientKeys) {
        this.enabled = enabled;
        this.adminKeys = adminKeys.stream().filter(k -> !k.isBlank()).map(ApiKeyVerifier::bytes).toList();
        this.clientKeys = clientKeys.stream().filter(k -> !k.isBlank()).map(ApiKeyVerifier::bytes).toList();
    }

    public boolean enabled() {
        return enabled;
    }

    public boolean hasAdminKeys() {
        return !adminKeys.isEmpty();
    }

    public Verdict check(String authorizationHeader, Role needed) {
        if (!enabled) {
            return Verdict.ALLOWED;
        }
        if (authorizationHeader == null || !authorizationHeader.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Verdict.UNAUTHENTICATED;
        }
        byte[] key = bytes(authorizationHeader.substring(7).trim());
        boolean admin = matches(adminKeys, key);
        boolean client = matches(clientKeys, key);
        if (!admin && !client) {
            return Verdict.UNAUTHENTICATED;
        }
        return admin || needed == Role.CLIENT ? Verdict.ALLOWED : Verdict.PERMISSION_DENIED;
    }

    /** Closes a refused gRPC call with the status that says what to send; false when the verdict allows it. */
    public static boolean refuse(ServerCall<?, ?> call, Verdict verdict, String service) {
        switch (verdict) {
            case UNAUTHENTICATED -> call.close(Status.UNAUTHENTICATED.withDescription(
                    "missing or unknown API key: send metadata 'authorization: Bearer <key>'"), new Metadata());
            case PERMISSION_DENIED -> call.close(Status.PERMISSION_DENIED.withDescription(
                    service + " needs an admin key; this key has the client role"), new Metadata());
            default -> {
                return false;
            }
        }
        return true;
    }

    private static boolean matches(List<byte[]> keys, byte[] candidate) {
        boolean found = false;
        for (byte[] k : keys) {
            found |= MessageDigest.isEqual(k, candidate);
        }
        return found;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
