package io.stripecast.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every {@code pattern} of the generated CRDs compiles with RE2 syntax, as the API server compiles them (Go's
 * regexp is RE2; RE2J behaves the same). Java's regex accepts what RE2 refuses (a repeat count over 1000, back
 * references, look-arounds), and one such pattern makes the API server reject the whole CRD.
 */
class CrdPatternsTest {
    @Test
    void everyGeneratedPatternCompilesAsRe2() {
        List<String> patterns = new ArrayList<>();
        for (Map.Entry<String, String> crd : GeneratedCrds.files().entrySet()) {
            for (JsonNode p : Yaml.documents(crd.getValue()).get(0).findValues("pattern")) {
                patterns.add(p.asText());
            }
        }
        assertThat(patterns).as("the CRDs have patterns to check").hasSizeGreaterThan(5);
        List<String> refused = new ArrayList<>();
        for (String p : patterns) {
            try {
                Pattern.compile(p);
            } catch (PatternSyntaxException e) {
                refused.add(p + " -> " + e.getMessage());
            }
        }
        assertThat(refused).as("patterns RE2 refuses").isEmpty();
    }

    @Test
    void re2RefusesARepeatCountOver1000AsTheApiServerDid() {
        // The check above can fail: the pull URL's former pattern is refused.
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Pattern.compile("^https?://[^\\s]{1,2040}$"))
                .isInstanceOf(PatternSyntaxException.class);
    }
}
