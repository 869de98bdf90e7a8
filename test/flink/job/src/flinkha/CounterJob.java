// The e2e tests' streaming job (test/e2e/real-flink*.test.ts): an endless, throttled sequence of numbers
// counted per key in checkpointed keyed state. Checkpointing (interval, file:// dir) comes from the cluster's
// config, so the same class runs on Flink 1.20 and 2.x, where the legacy SourceFunction API is gone; progress is
// read back from the REST API's checkpoint statistics, and the counts go to the TaskManager's stdout.
package flinkha;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

public final class CounterJob {
  public static void main(String[] args) throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    DataGeneratorSource<Long> source =
        new DataGeneratorSource<>(n -> n, Long.MAX_VALUE, RateLimiterStrategy.perSecond(50), Types.LONG);
    env.fromSource(source, WatermarkStrategy.noWatermarks(), "numbers")
        .keyBy(n -> n % 4)
        .map(new CountPerKey())
        .filter(count -> count % 500 == 0)
        .print();
    env.execute("ha-counter");
  }

  /** Counts the numbers seen per key; the count lives in keyed state, so it is checkpointed and restored. */
  static final class CountPerKey extends RichMapFunction<Long, Long> {
    private transient ValueState<Long> count;

    @Override
    public void open(OpenContext context) {
      count = getRuntimeContext().getState(new ValueStateDescriptor<>("count", Types.LONG));
    }

    @Override
    public Long map(Long n) throws Exception {
      long next = (count.value() == null ? 0L : count.value()) + 1;
      count.update(next);
      return next;
    }
  }
}
