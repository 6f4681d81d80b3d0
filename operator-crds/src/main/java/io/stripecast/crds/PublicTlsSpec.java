package io.stripecast.crds;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** TLS on the relays' public HTTP port (ingest, playback, player page, tracker), from a Secret of type kubernetes.io/tls. */
public class PublicTlsSpec {
    @Required
    @Pattern(Limits.DNS_SUBDOMAIN)
    @JsonPropertyDescription("A kubernetes.io/tls Secret (tls.crt, tls.key) in the pool's namespace; the public port then speaks https only.")
    public String secretName;
}
