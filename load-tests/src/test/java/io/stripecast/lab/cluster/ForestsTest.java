package io.stripecast.lab.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The lab's reading of the controller's forest view, on a hand-made two-tree forest. */
class ForestsTest {
    /*
     * stripe 0: r0 -> r1 -> {r3, r4}, r0 -> r2
     * stripe 1: r0 -> r2 -> {r1, r3, r4}
     */
    private static final String FOREST = """
            {"stream":"live","k":1,"m":1,"root":"r0","relays":5,
             "stripes":[
               {"stripe":0,"depth":2,"parents":{"r1":"r0","r2":"r0","r3":"r1","r4":"r1"},"children":{"r0":2,"r1":2},
                "depths":{"r0":0,"r1":1,"r2":1,"r3":2,"r4":2}},
               {"stripe":1,"depth":2,"parents":{"r2":"r0","r1":"r2","r3":"r2","r4":"r2"},"children":{"r0":1,"r2":3},
                "depths":{"r0":0,"r1":2,"r2":1,"r3":2,"r4":2}}],
             "check":{"ok":true}}
            """;

    private static JsonNode forest(String json) throws Exception {
        return new ObjectMapper().readTree(json);
    }

    @Test
    void availabilityDepthIsTheKthSmallestOverTheTrees() throws Exception {
        assertThat(Forests.availabilityDepths(forest(FOREST), 1)).isEqualTo(Map.of("r0", 0, "r1", 1, "r2", 1, "r3", 2, "r4", 2));
        assertThat(Forests.availabilityDepths(forest(FOREST), 2)).isEqualTo(Map.of("r0", 0, "r1", 2, "r2", 1, "r3", 2, "r4", 2));
    }

    @Test
    void ingestChildWithTheLargestSubtreeAndTheStripeWhereItIsLargest() throws Exception {
        JsonNode f = forest(FOREST);
        assertThat(Forests.ingestChild(f, 0)).isEqualTo("r1");
        assertThat(Forests.ingestChild(f, 1)).isEqualTo("r2");
        assertThat(Forests.busiestStripe(f)).isEqualTo(1);
        assertThat(Forests.interiorRelay(f)).isEqualTo("r1");
        assertThat(Forests.rootChildren(f)).containsExactly(2, 1);
        assertThat(Forests.treeDepths(f)).containsExactly(2, 2);
        assertThat(Forests.members(f)).containsExactly("r0", "r1", "r2", "r3", "r4");
    }

    @Test
    void repairedOnlyWhenTheCheckPassesAndTheGoneAreOut() throws Exception {
        assertThat(Forests.repaired(forest(FOREST), List.of("r9"))).isTrue();
        assertThat(Forests.repaired(forest(FOREST), Set.of("r3"))).isFalse();
        assertThat(Forests.repaired(forest(FOREST.replace("\"ok\":true", "\"ok\":false")), List.of())).isFalse();
    }
}
