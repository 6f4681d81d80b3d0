package io.stripecast.helm;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** Every value is documented: a `# --` comment in values.yaml and a row in the chart README's table. */
class ValuesDocumentationTest {
    static final Pattern KEY = Pattern.compile("^( *)([A-Za-z_][\\w]*):");
    static final Pattern README_ROW = Pattern.compile("^\\| `([\\w.]+)` \\|", Pattern.MULTILINE);

    /** Keys (dotted paths) whose line in values.yaml follows a comment block opening with `# --`. */
    static Set<String> documentedKeys() {
        Set<String> documented = new TreeSet<>();
        Deque<String[]> stack = new ArrayDeque<>(); // {indent, key}
        boolean commentOpen = false;
        for (String line : Repo.read(Repo.CHART.resolve("values.yaml")).split("\n")) {
            String trimmed = line.strip();
            if (trimmed.startsWith("#")) {
                if (trimmed.startsWith("# --")) {
                    commentOpen = true;
                }
                continue;
            }
            Matcher m = KEY.matcher(line);
            if (!m.find()) {
                commentOpen = false;
                continue;
            }
            int indent = m.group(1).length();
            while (!stack.isEmpty() && Integer.parseInt(stack.peek()[0]) >= indent) {
                stack.pop();
            }
            stack.push(new String[] {Integer.toString(indent), m.group(2)});
            StringBuilder path = new StringBuilder();
            stack.descendingIterator().forEachRemaining(k -> path.append(path.length() == 0 ? "" : ".").append(k[1]));
            if (commentOpen) {
                documented.add(path.toString());
            }
            commentOpen = false;
        }
        return documented;
    }

    static void leaves(JsonNode node, String path, Set<String> out) {
        if (node.isObject() && !node.isEmpty()) {
            node.fields().forEachRemaining(e -> leaves(e.getValue(), path.isEmpty() ? e.getKey() : path + "." + e.getKey(), out));
        } else {
            out.add(path);
        }
    }

    @Test
    void everyValueHasADocumentingCommentOnItselfOrAnEnclosingKey() {
        Set<String> documented = documentedKeys();
        Set<String> leaves = new TreeSet<>();
        leaves(Yaml.document(Repo.CHART.resolve("values.yaml")), "", leaves);
        assertThat(leaves).hasSizeGreaterThan(30);
        for (String leaf : leaves) {
            boolean covered = documented.stream().anyMatch(d -> leaf.equals(d) || leaf.startsWith(d + "."));
            assertThat(covered).as("values.yaml: '%s' has no '# --' comment on it or an enclosing key", leaf).isTrue();
        }
    }

    @Test
    void readmeTableListsExactlyTheDocumentedValues() {
        Set<String> inReadme = new TreeSet<>();
        Matcher m = README_ROW.matcher(Repo.read(Repo.CHART.resolve("README.md")));
        while (m.find()) {
            inReadme.add(m.group(1));
        }
        assertThat(inReadme).isEqualTo(documentedKeys());
    }
}
