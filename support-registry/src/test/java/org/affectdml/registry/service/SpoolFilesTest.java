package org.affectdml.registry.service;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Start-up removes the spool files of processes that no longer run, and only those. */
class SpoolFilesTest {

    @TempDir
    Path dir;

    @Test
    void leftoversOfStoppedProcessesGoAndFilesOfRunningOnesStay() throws Exception {
        Process ended = new ProcessBuilder("true").start();
        assertTrue(ended.waitFor(10, TimeUnit.SECONDS));
        long deadPid = ended.pid();
        long livePid = ProcessHandle.current().parent().orElseThrow().pid();  // the build that runs this test

        String host = SpoolFiles.ownHost();
        Path dead = Files.createFile(dir.resolve("evaluation-" + host + "-" + deadPid + "-1.spool"));
        Path deadImport = Files.createFile(dir.resolve("import-" + host + "-" + deadPid + "-2.spool"));
        Path live = Files.createFile(dir.resolve("evaluation-" + host + "-" + livePid + "-3.spool"));
        Path otherHost = Files.createFile(dir.resolve("import-other.pod-" + deadPid + "-4.spool"));
        Path mine = SpoolFiles.create(dir, "import");  // a restarted process's predecessor had this id: it is ours to remove
        Path foreign = Files.createFile(dir.resolve("notes.spool"));

        assertEquals(3, SpoolFiles.removeLeftovers(dir));
        assertFalse(Files.exists(dead));
        assertFalse(Files.exists(deadImport));
        assertFalse(Files.exists(mine));
        assertTrue(Files.exists(live), "a running replica's upload stays");
        assertTrue(Files.exists(otherHost), "another host's (pod's) upload stays: its process ids say nothing here");
        assertTrue(Files.exists(foreign), "files the registry did not name stay");
        assertEquals(0, SpoolFiles.removeLeftovers(dir.resolve("absent")));
    }
}
