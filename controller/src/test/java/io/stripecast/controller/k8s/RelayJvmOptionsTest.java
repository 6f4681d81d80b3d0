package io.stripecast.controller.k8s;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class RelayJvmOptionsTest {
    static final long MI = 1024 * 1024;

    static double option(String opts, String name) {
        Matcher m = Pattern.compile(Pattern.quote(name) + "([0-9.]+)").matcher(opts);
        assertThat(m.find()).as(name + " in " + opts).isTrue();
        return Double.parseDouble(m.group(1));
    }

    @ParameterizedTest(name = "{0} MiB")
    @ValueSource(longs = {512, 768, 1024, 2048, 4096, 16384})
    void heapDirectMetaspaceCodeCacheStacksAndSegmentCopiesFitTheLimit(long limitMi) {
        long limit = limitMi * MI;
        String opts = RelayJvmOptions.forLimit(limit);
        double heap = option(opts, "-XX:MaxRAMPercentage=") / 100 * limit;
        double direct = option(opts, "-XX:MaxDirectMemorySize=") * MI;
        double metaspace = option(opts, "-XX:MaxMetaspaceSize=") * MI;
        double codeCache = option(opts, "-XX:ReservedCodeCacheSize=") * MI;
        double segmentFiles = RelayJvmOptions.segmentFilesBytes(limit);
        assertThat(heap + direct + metaspace + codeCache + RelayJvmOptions.RESERVE + segmentFiles).as(opts).isLessThanOrEqualTo(limit);
        assertThat(heap / limit).as("a relay's heap holds its windows: not starved").isGreaterThanOrEqualTo(0.34);
        assertThat(direct).as("gRPC's direct buffers are capped, never the heap's size").isLessThan(heap);
        assertThat(opts).contains("-Xss512k");
    }

    @Test
    void noMemoryLimitLeavesTheImagesDefault() {
        assertThat(RelayJvmOptions.forResources(new ResourceRequirementsBuilder().addToRequests("memory", new Quantity("1Gi")).build()))
                .isNull();
        assertThat(RelayJvmOptions.forResources(new ResourceRequirementsBuilder().addToLimits("memory", new Quantity("2Gi")).build()))
                .isEqualTo(RelayJvmOptions.forLimit(2048 * MI));
    }
}
