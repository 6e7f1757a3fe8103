package org.affectdml.service.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * API keys and their roles. Keys are compared in constant time and never logged; a request presents one as
 * "authorization: Bearer KEY" (gRPC metadata or HTTP header).
 * <p>Roles: {@link Role#ADMIN} (manages taxonomies, trains; may also classify), {@link Role#CLIENT} (Classify
 * only) and {@link Role#SERVICE} (the services' own calls to each other; nothing else).
 */
public final class ApiKeyVerifier {

    public enum Role { ADMIN, CLIENT, SERVICE }

    /** Outcome of checking a request's credential against the role it needs. */
    public enum Verdict { ALLOWED, UNAUTHENTICATED, PERMISSION_DENIED }

    private final boolean enabled;
    private final Map<Role, List<byte[]>> keys = new EnumMap<>(Role.class);

    /** {@code keysByRole}: the keys of each role; blank keys are ignored. */
    public ApiKeyVerifier(boolean enabled, Map<Role, List<String>> keysByRole) {
        this.enabled = enabled;
        for (Role role : Role.values()) {
            keys.put(role, keysByRole.getOrDefault(role, List.of()).stream().filter(k -> !k.isBlank())
                    .map(ApiKeyVerifier::bytes).toList());
        }
    }

    public boolean enabled() {
        return enabled;
    }

    public boolean hasKeys(Role role) {
        return !keys.get(role).isEmpty();
    }

    public Verdict check(String authorizationHeader, Role needed) {
        if (!enabled) {
            return Verdict.ALLOWED;
        }
        if (authorizationHeader == null || !authorizationHeader.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Verdict.UNAUTHENTICATED;
        }
        byte[] key = bytes(authorizationHeader.substring(7).trim());
        boolean known = false;
        boolean allowed = false;
        for (Role role : Role.values()) {
            if (matches(keys.get(role), key)) {
                known = true;
                allowed |= grants(role, needed);
            }
        }
        if (!known) {
            return Verdict.UNAUTHENTICATED;
        }
        return allowed ? Verdict.ALLOWED : Verdict.PERMISSION_DENIED;
    }

    /** Admin keys may do what clients may; each other role only its own calls. */
    private static boolean grants(Role held, Role needed) {
        return held == needed || (held == Role.ADMIN && needed == Role.CLIENT);
    }

    private static boolean matches(List<byte[]> candidates, byte[] key) {
        boolean found = false;
        for (byte[] k : candidates) {
            found |= MessageDigest.isEqual(k, key);
        }
        return found;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
