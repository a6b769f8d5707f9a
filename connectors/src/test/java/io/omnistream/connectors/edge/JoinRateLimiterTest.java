package io.omnistream.connectors.edge;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JoinRateLimiterTest {

    @Test
    void allowsABurstThenRefillsAtTheConfiguredRatePerIp() {
        JoinRateLimiter l = new JoinRateLimiter(2, 3);
        long t = 1_000_000_000L;
        assertThat(l.tryAcquire("a", t)).isTrue();
        assertThat(l.tryAcquire("a", t)).isTrue();
        assertThat(l.tryAcquire("a", t)).isTrue();
        assertThat(l.tryAcquire("a", t)).isFalse();
        assertThat(l.tryAcquire("b", t)).isTrue(); // another address has its own bucket
        assertThat(l.tryAcquire("a", t + 500_000_000L)).isTrue(); // 0.5 s at 2/s = one token
        assertThat(l.tryAcquire("a", t + 500_000_000L)).isFalse();
    }
}
