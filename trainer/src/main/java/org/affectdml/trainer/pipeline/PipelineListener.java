package org.affectdml.trainer.pipeline;

import org.affectdml.trainer.head.HeadTrainer;

/** What a training run reports as it goes; the trainer service turns it into job updates, the tool into log lines. */
public interface PipelineListener {

    /** Phases: reading, extracting-features, training, evaluating, publishing. */
    void phase(String phase, String message);

    /** Progress of the current phase in [0, 1] with an ETA in seconds (0 = unknown). */
    void progress(double fraction, double etaSeconds, String line);

    void epoch(HeadTrainer.EpochReport report);

    void log(String line);

    /** Checked between batches; true stops the run with a CancellationException. */
    default boolean cancelled() {
        return false;
    }
}
