package org.affectdml.registry.api;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The proto comments the REST schema is described with: the comment right above a message or field, nothing else. */
class ProtoCommentsTest {

    @Test
    void aCommentBelongsToTheDeclarationRightBelowIt() {
        Map<String, String> c = ProtoComments.parse("""
                syntax = "proto3";
                package affect.v1;

                // A box.
                // In pixels.
                message Box {
                  // left edge
                  float x1 = 1;

                  float x2 = 2;
                  // dropped by the blank line

                  repeated string tags = 3 [packed = true];
                  // per tag
                  map<string, float> weights = 4;
                  optional string note = 5;
                }
                // after the message: not a field of it
                enum Kind {
                  // not a message field
                  KIND_UNSPECIFIED = 0;
                }
                """);
        assertEquals("A box. In pixels.", c.get("affect.v1.Box"));
        assertEquals("left edge", c.get("affect.v1.Box.x1"));
        assertEquals("per tag", c.get("affect.v1.Box.weights"));
        assertFalse(c.containsKey("affect.v1.Box.x2") || c.containsKey("affect.v1.Box.tags") || c.containsKey("affect.v1.Box.note"), c.toString());
        assertEquals(3, c.size(), c.toString());
    }

    @Test
    void theShippedRegistryProtoSaysHowTheHeldOutFiguresAreObtained() {
        Map<String, String> c = ProtoComments.of("registry.proto");
        assertTrue(c.get("affect.v1.TaxonomyEvaluation.held_out_folds").contains("each fold is scored at the thresholds the same rules choose"),
                c.get("affect.v1.TaxonomyEvaluation.held_out_folds"));
        assertTrue(c.get("affect.v1.TaxonomyEvaluation.ece_calibrated_held_out").contains("fitted on the other folds"));
    }
}
