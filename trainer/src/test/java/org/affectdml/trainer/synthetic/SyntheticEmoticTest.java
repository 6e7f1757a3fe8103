package org.affectdml.trainer.synthetic;

import org.affectdml.trainer.emotic.EmoticPerson;
import org.affectdml.trainer.protocol.LabelAssigner;
import org.affectdml.trainer.protocol.Protocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Several persons per image: they share the image, its split and its scene, each with its own box and class. */
class SyntheticEmoticTest {

    @TempDir
    Path tmp;

    @Test
    void personsOfOneImageShareItsSceneFactor() throws Exception {
        List<EmoticPerson> persons = SyntheticEmotic.generate(tmp, new SyntheticEmotic.Options(60, 96, 96, 5, false, 3), n -> { });
        assertEquals(60, persons.size());
        Map<String, List<EmoticPerson>> byImage = persons.stream().collect(Collectors.groupingBy(EmoticPerson::image));
        assertEquals(20, byImage.size(), "three persons per image");
        LabelAssigner labels = new LabelAssigner(Protocol.CAT_6_6, null);
        for (List<EmoticPerson> group : byImage.values()) {
            Set<Integer> scenes = group.stream().map(p -> SyntheticEmotic.CLASS_FACTORS[labels.assign(p).orElseThrow()][1])
                    .collect(Collectors.toSet());
            assertEquals(1, scenes.size(), "one scene per image: " + group);
            assertEquals(1, group.stream().map(EmoticPerson::split).distinct().count(), "one split per image");
            assertEquals(3, group.stream().map(p -> java.util.Arrays.toString(p.box())).distinct().count(), "a box each");
        }
        Map<Integer, Integer> perClass = new HashMap<>();
        persons.forEach(p -> perClass.merge(labels.assign(p).orElseThrow(), 1, Integer::sum));
        assertTrue(perClass.size() >= 6, "several classes occur: " + perClass);
    }
}
