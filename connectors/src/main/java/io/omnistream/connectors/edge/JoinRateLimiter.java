package io.omnistream.connectors.edge;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-IP token bucket for joins, so one client cannot churn peers (each join costs native threads and sockets)
 * faster than {@link EdgeConfig#joinsPerSecondPerIp()}. Idle buckets are forgotten.
 */
final class JoinRateLimiter {
    private final double perSecond;
    private final int burst;
    private final Map<String, double[]> buckets = new ConcurrentHashMap<>(); // [tokens, lastNanos]

    JoinRateLimiter(double perSecond, int burst) {
        this.perSecond = perSecond;
        this.burst = burst;
    }

    boolean tryAcquire(String ip, long nowNanos) {
        double[] b = buckets.computeIfAbsent(ip, k -> new double[] {burst, nowNanos});
        synchronized (b) {
            double refill = (nowNanos - (long) b[1]) / 1e9 * perSecond;
            b[0] = Math.min(burst, b[0] + Math.max(0, refill));
            b[1] = nowNanos;
            if (b[0] >= 1) {
                b[0] -= 1;
                return true;
            }
            return false;
        }
    }

    void evictIdle(long nowNanos) {
        for (Iterator<Map.Entry<String, double[]>> it = buckets.entrySet().iterator(); it.hasNext(); ) {
            double[] b = it.next().getValue();
            synchronized (b) {
                if (b[0] + (nowNanos - (long) b[1]) / 1e9 * perSecond >= burst) {
                    it.remove();
                }
            }
        }
    }
}
