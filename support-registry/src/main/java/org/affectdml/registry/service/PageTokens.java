package org.affectdml.registry.service;

import org.affectdml.service.errors.Errors;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.zip.CRC32;

/**
 * Opaque page tokens: the position after the last item of a page (a keyset cursor, so items inserted or removed
 * meanwhile never make a listing repeat or skip an item that was there all along), bound to the listing and
 * its scope (taxonomy, class filter) and checksummed. Any replica reads any replica's tokens: they carry no
 * server state. A token that is not one the same listing issued is INVALID_ARGUMENT.
 */
final class PageTokens {

    /** Longer than any token issued here; longer input is refused before it is decoded. */
    static final int MAX_LENGTH = 512;
    private static final String VERSION = "1";
    private static final String SEPARATOR = "\u001f";

    private PageTokens() {
    }

    /** A token for the position {@code key} of the listing {@code listing} in {@code scope}. */
    static String issue(String listing, String scope, String... key) {
        String payload = String.join(SEPARATOR, VERSION, listing, scope, String.join(SEPARATOR, key));
        byte[] bytes = payload.getBytes(StandardCharsets.UTF_8);
        CRC32 crc = new CRC32();
        crc.update(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes) + "." + Long.toHexString(crc.getValue());
    }

    /** The key parts of a token the same listing and scope issued; empty token = empty list (the first page). */
    static List<String> read(String token, String listing, String scope, int keyParts) {
        if (token == null || token.isEmpty()) {
            return List.of();
        }
        if (token.length() > MAX_LENGTH) {
            throw refused("is " + token.length() + " characters, longer than any token this service issues");
        }
        int dot = token.lastIndexOf('.');
        try {
            byte[] bytes = Base64.getUrlDecoder().decode(dot < 0 ? "" : token.substring(0, dot));
            CRC32 crc = new CRC32();
            crc.update(bytes);
            if (dot < 0 || !Long.toHexString(crc.getValue()).equals(token.substring(dot + 1))) {
                throw refused("was not issued by this service");
            }
            String[] parts = new String(bytes, StandardCharsets.UTF_8).split(SEPARATOR, -1);
            if (parts.length != 3 + keyParts || !VERSION.equals(parts[0]) || !listing.equals(parts[1])) {
                throw refused("was not issued by this listing");
            }
            if (!scope.equals(parts[2])) {
                throw refused("belongs to another taxonomy or class filter; page with the same request that returned it");
            }
            return Arrays.asList(parts).subList(3, parts.length);
        } catch (IllegalArgumentException e) {
            throw refused("was not issued by this service");
        }
    }

    private static RuntimeException refused(String why) {
        return Errors.invalidArgument("page_token " + why + " (tokens are opaque: pass next_page_token back unchanged)");
    }
}
