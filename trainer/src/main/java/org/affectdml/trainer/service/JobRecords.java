package org.affectdml.trainer.service;

import org.affectdml.inference.bundle.AtomicFiles;
import org.affectdml.proto.v1.TrainingJob;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Jobs as files ({@code jobs/<id>.pb}, the TrainingJob message), replaced atomically on every update. */
final class JobRecords {

    private final Path directory;

    JobRecords(Path directory) throws IOException {
        this.directory = Files.createDirectories(directory);
    }

    void save(TrainingJob job) throws IOException {
        AtomicFiles.write(directory.resolve(job.getJobId() + ".pb"), job.toByteArray());
    }

    List<TrainingJob> loadAll() throws IOException {
        List<TrainingJob> jobs = new ArrayList<>();
        try (Stream<Path> files = Files.list(directory)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".pb")).toList()) {
                try (InputStream in = Files.newInputStream(f)) {
                    jobs.add(TrainingJob.parseFrom(in));
                }
            }
        }
        return jobs;
    }
}
