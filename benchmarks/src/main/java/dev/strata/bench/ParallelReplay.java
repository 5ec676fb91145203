package dev.strata.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.common.TopicPartition;

/**
 * Several catch-up consumers replaying one topic at once, each its share of the partitions (partition p goes to
 * consumer p mod N), from offset 0 to the end offsets. The aggregate is the bytes of all of them over the longest
 * one's time.
 */
final class ParallelReplay {

    private ParallelReplay() {}

    static WorkloadResult run(String bootstrap, BenchTopic topic, WorkloadSpec spec, int consumers) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(consumers);
        try {
            List<Future<WorkloadResult>> runs = new ArrayList<>();
            for (int c = 0; c < consumers; c++) {
                List<TopicPartition> share = new ArrayList<>();
                for (TopicPartition tp : topic.partitions()) {
                    if (tp.partition() % consumers == c) {
                        share.add(tp);
                    }
                }
                runs.add(pool.submit(() -> new ConsumeRun(bootstrap, topic, spec, true).run(share)));
            }
            long records = 0;
            long bytes = 0;
            double seconds = 0;
            for (Future<WorkloadResult> run : runs) {
                WorkloadResult r = run.get();
                records += r.records();
                bytes += r.bytes();
                seconds = Math.max(seconds, r.seconds());
            }
            System.err.printf("%d consumers replayed %.1f MB in %.2f s%n", consumers, bytes / 1e6, seconds);
            return new WorkloadResult(spec, topic.name(), records, bytes, seconds, 0, null);
        } finally {
            pool.shutdownNow();
        }
    }
}
