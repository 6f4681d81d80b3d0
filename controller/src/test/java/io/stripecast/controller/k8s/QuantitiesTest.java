package io.stripecast.controller.k8s;

import io.fabric8.kubernetes.api.model.Quantity;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/** The API server's canonical forms (what kubectl get -o yaml shows after creating the left-hand side). */
class QuantitiesTest {
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "0.5, 500m",
            "1000m, 1",
            "250m, 250m",
            "1.5, 1500m",
            "1500, 1500",
            "2000, 2k",
            "0, 0",
            "1.5Gi, 1536Mi",
            "2048Mi, 2Gi",
            "512Mi, 512Mi",
            "0.5Gi, 512Mi",
            "1Gi, 1Gi",
            "100Ki, 100Ki",
            "0.1Ki, 102400m",
            "1e3, 1e3",
            "1500e-3, 1500e-3",
            "1.5M, 1500k",
            "1024, 1024",
    })
    void quantityIsWrittenAsTheServerStoresIt(String written, String stored) {
        assertThat(Quantities.canonical(new Quantity(written)).toString()).isEqualTo(stored);
    }
}
