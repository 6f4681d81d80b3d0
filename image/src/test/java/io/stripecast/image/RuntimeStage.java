package io.stripecast.image;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The last stage of the repository's Dockerfile (the image Docker users build), read just far enough to compare
 * the Jib image with it: ENTRYPOINT, CMD, USER, WORKDIR, EXPOSE, ENV, LABEL and ARG defaults. The helm module's
 * DockerfileTest checks the Dockerfile itself against the chart.
 */
record RuntimeStage(List<Map.Entry<String, String>> instructions) {
    private static final Pattern PAIR = Pattern.compile("([\\w.-]+)=(\"((?:[^\"\\\\]|\\\\.)*)\"|(\\S+))");

    static RuntimeStage of(Path dockerfile) {
        String text;
        try {
            text = Files.readString(dockerfile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Map.Entry<String, String>> stage = new ArrayList<>();
        StringBuilder logical = new StringBuilder();
        for (String raw : text.split("\n")) {
            String line = raw.strip();
            if (line.startsWith("#") || (line.isEmpty() && logical.isEmpty())) {
                continue;
            }
            if (line.endsWith("\\")) {
                logical.append(line, 0, line.length() - 1).append(' ');
                continue;
            }
            String instruction = logical.append(line).toString().strip();
            logical.setLength(0);
            if (instruction.isEmpty()) {
                continue;
            }
            String[] parts = instruction.split("\\s+", 2);
            String keyword = parts[0].toUpperCase();
            if (keyword.equals("FROM")) {
                stage = new ArrayList<>();
            } else {
                stage.add(Map.entry(keyword, parts.length > 1 ? parts[1].strip() : ""));
            }
        }
        return new RuntimeStage(stage);
    }

    List<String> all(String keyword) {
        return instructions.stream().filter(e -> e.getKey().equals(keyword)).map(Map.Entry::getValue).toList();
    }

    String last(String keyword) {
        List<String> all = all(keyword);
        if (all.isEmpty()) {
            throw new AssertionError("the Dockerfile's runtime stage has no " + keyword);
        }
        return all.get(all.size() - 1);
    }

    /** An exec-form (JSON array) instruction: ENTRYPOINT or CMD. */
    List<String> execForm(String keyword) {
        try {
            List<String> out = new ArrayList<>();
            JsonNode array = OciArchive.JSON.readTree(last(keyword));
            if (!array.isArray()) {
                throw new AssertionError(keyword + " is not in exec form");
            }
            array.forEach(n -> out.add(n.asText()));
            return out;
        } catch (IOException e) {
            throw new AssertionError(keyword + " is not in exec form", e);
        }
    }

    /** KEY="value" pairs of every LABEL or ENV instruction, with ${ARG} references replaced by the ARG defaults. */
    Map<String, String> pairs(String keyword) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : all(keyword)) {
            Matcher m = PAIR.matcher(line);
            while (m.find()) {
                String value = m.group(3) != null ? m.group(3).replace("\\\"", "\"") : m.group(4);
                for (Map.Entry<String, String> arg : argDefaults().entrySet()) {
                    value = value.replace("${" + arg.getKey() + "}", arg.getValue());
                }
                out.put(m.group(1), value);
            }
        }
        return out;
    }

    Map<String, String> argDefaults() {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : all("ARG")) {
            Matcher m = PAIR.matcher(line);
            while (m.find()) {
                out.put(m.group(1), m.group(3) != null ? m.group(3) : m.group(4));
            }
        }
        return out;
    }

    List<Integer> exposedPorts() {
        List<Integer> ports = new ArrayList<>();
        for (String expose : all("EXPOSE")) {
            for (String port : expose.split("\\s+")) {
                ports.add(Integer.parseInt(port.replace("/tcp", "")));
            }
        }
        return ports;
    }
}
