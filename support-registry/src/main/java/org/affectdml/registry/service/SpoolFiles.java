package org.affectdml.registry.service;

import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Upload spool files (evaluations, imports). Each name carries the host name and the id of the process that wrote
 * it, so a process starting up removes what a killed process of its own host left behind (a restarted container has
 * its pod's host name and, as its predecessor, often pid 1) without touching the files of replicas that share the
 * directory and still run: on this host (a live pid) or elsewhere (another host name, left alone).
 */
final class SpoolFiles {

    private static final Logger LOG = Logger.getLogger(SpoolFiles.class);
    private static final Pattern NAME = Pattern.compile("(evaluation|import)-([A-Za-z0-9.]+)-(\\d+)-[^/]*\\.spool");
    private static final long OWN_PID = ProcessHandle.current().pid();
    private static final String OWN_HOST = hostName();

    private SpoolFiles() {
    }

    /** A new, empty spool file of this process in {@code directory} (created if needed). */
    static Path create(Path directory, String kind) throws IOException {
        Files.createDirectories(directory);
        return Files.createTempFile(directory, kind + "-" + OWN_HOST + "-" + OWN_PID + "-", ".spool");
    }

    /** This machine's (or pod's) host name, in the characters a file name part may hold here. */
    private static String hostName() {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            try {
                host = java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.net.UnknownHostException e) {
                host = "localhost";
            }
        }
        String clean = host.replaceAll("[^A-Za-z0-9.]", ".");
        return clean.isEmpty() ? "localhost" : clean;
    }

    /** This process's host name as spool files carry it. */
    static String ownHost() {
        return OWN_HOST;
    }

    /**
     * Deletes the spool files of processes that no longer run (and, since this process has written none yet, of an
     * earlier process with this one's id, as a restarted container's first process has); returns how many.
     */
    static int removeLeftovers(Path directory) {
        if (!Files.isDirectory(directory)) {
            return 0;
        }
        int removed = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*.spool")) {
            for (Path file : files) {
                Matcher m = NAME.matcher(file.getFileName().toString());
                if (!m.matches() || !m.group(2).equals(OWN_HOST)) {
                    continue;
                }
                long pid = Long.parseLong(m.group(3));
                if (pid == OWN_PID || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) == Boolean.FALSE) {
                    removed += Files.deleteIfExists(file) ? 1 : 0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            LOG.warnf("could not clean the spool directory %s: %s", directory, e.getMessage());
        }
        return removed;
    }
}
