package io.stripecast.controller.k8s;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Quantities in the canonical form the API server stores them in ({@code 0.5} is stored as {@code 500m},
 * {@code 1.5Gi} as {@code 1536Mi}). A desired object that says {@code 0.5} never equals what the server holds, so
 * every reconcile would send it again; written canonically, desired and stored agree.
 * <p>
 * The rules of k8s.io/apimachinery's {@code Quantity.CanonicalizeBytes}: the suffix family of the input is kept
 * (binary Ki..Ei, decimal n..E, or an exponent), binary becomes decimal when the value is not a whole number or is
 * under 1024, and the mantissa is the smallest whole number the family's largest fitting suffix allows.
 */
final class Quantities {
    private static final String[] DECIMAL = {"n", "u", "m", "", "k", "M", "G", "T", "P", "E"};
    private static final String[] BINARY = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    private static final BigInteger KI = BigInteger.valueOf(1024);

    private Quantities() {
    }

    static Quantity canonical(Quantity q) {
        if (q == null) {
            return null;
        }
        BigDecimal value = Quantity.getAmountInBytes(q);
        String format = q.getFormat() == null ? "" : q.getFormat();
        boolean binary = format.endsWith("i");
        boolean exponent = format.startsWith("e") || format.startsWith("E");
        if (binary && value.abs().compareTo(BigDecimal.valueOf(1024)) >= 0 && value.stripTrailingZeros().scale() <= 0) {
            return binaryForm(value.toBigIntegerExact());
        }
        return decimalForm(value, exponent);
    }

    private static Quantity binaryForm(BigInteger value) {
        int power = 0;
        while (power < BINARY.length - 1 && value.mod(KI).signum() == 0) {
            value = value.divide(KI);
            power++;
        }
        return new Quantity(value.toString(), BINARY[power]);
    }

    private static Quantity decimalForm(BigDecimal value, boolean exponent) {
        if (value.signum() == 0) {
            return new Quantity("0");
        }
        BigDecimal v = value.stripTrailingZeros();
        int exp = -v.scale();
        // The largest multiple of 3 not above the value's own exponent keeps the mantissa whole; nano is the finest
        // unit the server keeps (finer values round up to it), exa the largest suffix.
        int e3 = Math.max(-9, Math.min(18, Math.floorDiv(exp, 3) * 3));
        BigInteger mantissa = v.movePointLeft(e3).setScale(0, java.math.RoundingMode.UP).toBigIntegerExact();
        String suffix = exponent ? (e3 == 0 ? "" : "e" + e3) : DECIMAL[e3 / 3 + 3];
        return new Quantity(mantissa.toString(), suffix);
    }

    /** Requests and limits with every quantity canonical; null stays null. */
    static ResourceRequirements canonical(ResourceRequirements r) {
        if (r == null) {
            return null;
        }
        ResourceRequirements out = new ResourceRequirements();
        out.setClaims(r.getClaims());
        out.setLimits(canonical(r.getLimits()));
        out.setRequests(canonical(r.getRequests()));
        return out;
    }

    private static Map<String, Quantity> canonical(Map<String, Quantity> quantities) {
        if (quantities == null) {
            return null;
        }
        Map<String, Quantity> out = new LinkedHashMap<>();
        quantities.forEach((name, q) -> out.put(name, canonical(q)));
        return out;
    }
}
