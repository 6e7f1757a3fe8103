package org.affectdml.inference.bundle;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * SHA-256 of model files, each computed once per process for as long as the file is unchanged. A bundle names one
 * file for both encoder roles, a trained bundle hard-links its parent's untrained files, and a swap reloads a bundle
 * that was loaded before: hashing the stand-in's 45 MB encoder took 170-240 ms here, and each of those paid it again
 * (docs/containers.md, start-up). Within a process, a change that leaves all of these alone (bit rot under an
 * unchanged inode) goes unnoticed when a bundle is loaded again; every new process hashes every file. A file is the same when its identity (device and inode), size, modification time and, where the file
 * system has it, change time (which no user can set back) are the same; anything else is hashed again.
 */
final class FileDigests {

    private static final int MAX_ENTRIES = 256;

    /** What identifies a file's content short of reading it (the path only where the file system has no file key). */
    private record Identity(Path path, Object fileKey, long size, long modified, Object changed) {
    }

    private static long computed;

    private static final Map<Identity, String> DIGESTS = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Identity, String> eldest) {
            return size() > MAX_ENTRIES;
        }
    };

    private FileDigests() {
    }

    /** The file's lower-case hex SHA-256, from this process's cache when the file has not changed since it was hashed. */
    static String sha256(Path file) throws IOException {
        Identity identity = identity(file);
        synchronized (DIGESTS) {
            String known = DIGESTS.get(identity);
            if (known != null) {
                return known;
            }
        }
        String digest = Sha256.of(file);
        synchronized (DIGESTS) {
            computed++;
            if (identity.equals(identity(file))) {  // not changed while it was read
                DIGESTS.put(identity, digest);
            }
        }
        return digest;
    }

    private static Identity identity(Path file) throws IOException {
        Path real = file.toRealPath();
        BasicFileAttributes a = Files.readAttributes(real, BasicFileAttributes.class);
        Object changed;
        try {
            changed = Files.getAttribute(real, "unix:ctime");
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            changed = null;  // no POSIX change time here: identity, size and modification time only
        }
        // a hard link is the same file under another path: with a file key, the path does not matter
        return new Identity(a.fileKey() == null ? real : null, a.fileKey(), a.size(), a.lastModifiedTime().toMillis(), changed);
    }

    /** How many files were read and hashed so far (tests). */
    static long computed() {
        synchronized (DIGESTS) {
            return computed;
        }
    }
}
