package io.omnistream.operators.route;

import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.metrics.Counter;

/**
 * One count of routed work (a path that ran or was skipped), exported twice: as a Flink metric in the
 * operator's {@code route} group (live dashboards, per path) and as a job accumulator {@code route.<name>} (summed
 * over all instances, read by the tuner from the job result). One class so that every operator counts the same
 * way and the names cannot drift apart.
 */
public final class WorkCounter {
    /** Accumulator name prefix. */
    public static final String PREFIX = "route.";

    private final Counter metric;
    private final LongCounter accumulator;

    private WorkCounter(Counter metric, LongCounter accumulator) {
        this.metric = metric;
        this.accumulator = accumulator;
    }

    public static WorkCounter register(RuntimeContext rc, String name) {
        return new WorkCounter(rc.getMetricGroup().addGroup("route").counter(name), rc.getLongCounter(PREFIX + name));
    }

    public void inc() {
        metric.inc();
        accumulator.add(1L);
    }

    public void inc(long n) {
        metric.inc(n);
        accumulator.add(n);
    }

    public long count() {
        return metric.getCount();
    }
}
