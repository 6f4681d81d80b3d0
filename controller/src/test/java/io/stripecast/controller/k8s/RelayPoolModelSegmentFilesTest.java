package io.stripecast.controller.k8s;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.stripecast.crds.PublicTlsSpec;
import io.stripecast.crds.RelayPool;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Relay pods keep copies of watched segments in a memory-backed emptyDir, sized within the container's memory limit,
 * and send them with sendfile; pools whose public port speaks TLS (no sendfile) and small pods get none.
 */
class RelayPoolModelSegmentFilesTest {
    private static final long MI = 1024 * 1024;
    private final RelayPoolModel model = new RelayPoolModel("img", "ctl:9200", List.of(), false, null);

    private static List<Deployment> deployments(RelayPoolModel model, RelayPool pool) {
        return List.of(model.relayDeployment(pool), model.ingestDeployment(pool), model.standbyIngestDeployment(pool));
    }

    private static Volume segmentFiles(PodSpec pod) {
        return pod.getVolumes().stream().filter(v -> v.getName().equals("segment-files")).findFirst().orElse(null);
    }

    @Test
    void aPlaintextPoolsRelaysCopySegmentsIntoMemoryWithinTheirLimit() {
        RelayPool pool = RelayPoolModelTrustTest.pool(); // the default resources: a 1 GiB limit
        for (Deployment d : deployments(model, pool)) {
            PodSpec pod = d.getSpec().getTemplate().getSpec();
            Container relay = pod.getContainers().get(0);
            Map<String, String> env = RelayPoolModelTrustTest.env(relay);
            long bytes = Long.parseLong(env.get("STRIPECAST_PLAYBACK_SEGMENT_FILES_MAX_BYTES"));
            assertThat(bytes).as(d.getMetadata().getName()).isEqualTo(128 * MI);
            assertThat(env).containsEntry("STRIPECAST_PLAYBACK_SEGMENT_FILES_DIR", RelayPoolModel.SEGMENT_FILES_DIR);
            Volume volume = segmentFiles(pod);
            assertThat(volume.getEmptyDir().getMedium()).isEqualTo("Memory");
            assertThat(Quantity.getAmountInBytes(volume.getEmptyDir().getSizeLimit()).longValue()).isEqualTo(bytes);
            assertThat(relay.getVolumeMounts()).anySatisfy(m -> {
                assertThat(m.getName()).isEqualTo("segment-files");
                assertThat(m.getMountPath()).isEqualTo(RelayPoolModel.SEGMENT_FILES_DIR);
            });
        }
    }

    @Test
    void aTlsPoolAndASmallPodGetNoCopies() {
        RelayPool tls = RelayPoolModelTrustTest.pool();
        tls.getSpec().tls = new PublicTlsSpec();
        tls.getSpec().tls.secretName = "edge-tls";
        RelayPool small = RelayPoolModelTrustTest.pool();
        small.getSpec().resources = new ResourceRequirementsBuilder().addToLimits("memory", new Quantity("768Mi")).build();
        for (RelayPool pool : List.of(tls, small)) {
            for (Deployment d : deployments(model, pool)) {
                PodSpec pod = d.getSpec().getTemplate().getSpec();
                assertThat(segmentFiles(pod)).as(d.getMetadata().getName()).isNull();
                assertThat(RelayPoolModelTrustTest.env(pod.getContainers().get(0)))
                        .doesNotContainKeys("STRIPECAST_PLAYBACK_SEGMENT_FILES_DIR", "STRIPECAST_PLAYBACK_SEGMENT_FILES_MAX_BYTES");
            }
        }
    }
}
