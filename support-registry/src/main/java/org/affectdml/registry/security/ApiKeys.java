package org.affectdml.registry.security;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.affectdml.registry.RegistryConfig;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

/**
 * API keys and their roles. Keys are compared in constant time and never logged; "authorization: Bearer KEY"
 * is read from gRPC metadata or the HTTP header.
 */
@ApplicationScoped
public class ApiKeys {

    public enum Role { ADMIN, CLIENT }

    /** Outcome of checking a request's credential against the role it needs. */
    public enum Verdict { ALLOWED, UNAUTHENTICATED, PERMISSION_DENIED }

    private static final Logger LOG = Logger.getLogger(ApiKeys.class);

    private final boolean enabled;
    private final List<byte[]> adminKeys;
    private final List<byte[]> clientKeys;

    @Inject
    public ApiKeys(RegistryConfig config) {
        this.enabled = config.auth().enabled();
        this.adminKeys = config.auth().adminKeys().orElse(List.of()).stream().filter(k -> !k.isBlank()).map(ApiKeys::bytes).toList();
        this.clientKeys = config.auth().clientKeys().orElse(List.of()).stream().filter(k -> !k.isBlank()).map(ApiKeys::bytes).toList();
        if (enabled && adminKeys.isEmpty()) {
            LOG.warn("affect.registry.auth is enabled but no admin key is configured (affect.registry.auth.admin-keys): admin calls will be refused");
        }
        if (!enabled) {
            LOG.warn("affect.registry.auth.enabled=false: every caller is admin; never run like this outside a laptop");
        }
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
