package io.stripecast.protocol.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class Crc32cTest {

    @Test
    void matchesTheCastagnoliCheckValue() {
        // The standard check value of CRC-32C (RFC 3720, iSCSI) for "123456789".
        assertThat(Crc32c.of("123456789".getBytes(StandardCharsets.US_ASCII))).isEqualTo(0xE3069283);
    }

    @Test
    void rangeOverloadEqualsCrcOfTheSlice() {
        byte[] b = "xx123456789yy".getBytes(StandardCharsets.US_ASCII);
        assertThat(Crc32c.of(b, 2, 9)).isEqualTo(Crc32c.of(Arrays.copyOfRange(b, 2, 11))).isEqualTo(0xE3069283);
    }

    @Test
    void emptyInputHasCrcZero() {
        assertThat(Crc32c.of(new byte[0])).isZero();
    }
}
