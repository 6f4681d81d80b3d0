package io.stripecast.crds;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** One key of a Secret in the LiveStream's namespace. */
public class SecretKeyRef {
    @Required
    @Pattern(Limits.DNS_SUBDOMAIN)
    @JsonPropertyDescription("Secret name, in the LiveStream's namespace.")
    public String name;

    @Default("key")
    @Pattern("^[-._a-zA-Z0-9]{1,253}$")
    @JsonPropertyDescription("Key inside the Secret's data.")
    public String key = "key";
}
