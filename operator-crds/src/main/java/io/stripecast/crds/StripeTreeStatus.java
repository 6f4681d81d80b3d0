package io.stripecast.crds;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** One stripe tree's shape. */
public class StripeTreeStatus {
    public Integer stripe;

    @JsonPropertyDescription("true for the m parity stripes.")
    public Boolean parity;

    public Integer depth;

    @JsonPropertyDescription("Relays with children in this tree (each is interior in no other tree).")
    public Integer interior;

    public StripeTreeStatus() {
    }

    public StripeTreeStatus(int stripe, boolean parity, int depth, int interior) {
        this.stripe = stripe;
        this.parity = parity;
        this.depth = depth;
        this.interior = interior;
    }
}
