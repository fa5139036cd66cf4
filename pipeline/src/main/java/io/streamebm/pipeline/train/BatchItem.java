package io.streamebm.pipeline.train;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One unit of the trainer's micro-batching: a sample, with the outputs of the records just before
 * it in its source (run first), and the end of an input batch riding on its last sample (or alone
 * if the batch holds no sample).
 *
 * <p>Why outputs ride on the sample after them, not on the batch end: so that each is judged
 * against the model's position at its own record, even when a batch spans several micro-batches.
 *
 * @param batch    the input batch this item is part of
 * @param sample   the sample, or null for a batch without samples
 * @param outputs  outputs to write before the sample, in position order
 * @param endsBatch whether this item is the batch's last
 */
record BatchItem(InputBatch batch, InputBatch.Sample sample, List<InputBatch.Output> outputs, boolean endsBatch) {

    /**
     * Whether {@code source} left the consumer after this item's batch was read: then the item's
     * records of it are stale copies, delivered again later (see {@link InputBatch#revokedSincePolled}).
     */
    boolean revokedSincePolled(String source) {
        return batch.revokedSincePolled().test(source);
    }

    /** The items of {@code batch}, in order. */
    static List<BatchItem> of(InputBatch batch) {
        List<InputBatch.Sample> samples = batch.samples();
        List<BatchItem> items = new ArrayList<>(samples.size() + 1);
        // Outputs per source in position order, to be placed before the first later sample.
        Map<String, ArrayDeque<InputBatch.Output>> pending = new HashMap<>();
        for (InputBatch.Output o : batch.outputs()) {
            pending.computeIfAbsent(o.source(), k -> new ArrayDeque<>()).add(o);
        }
        for (int i = 0; i < samples.size(); i++) {
            InputBatch.Sample sample = samples.get(i);
            List<InputBatch.Output> before = List.of();
            ArrayDeque<InputBatch.Output> queue = pending.get(sample.source());
            while (queue != null && !queue.isEmpty() && queue.peek().position() < sample.position()) {
                if (before.isEmpty()) {
                    before = new ArrayList<>(2);
                }
                before.add(queue.poll());
            }
            boolean last = i == samples.size() - 1;
            if (last) {
                before = new ArrayList<>(before);
                for (ArrayDeque<InputBatch.Output> rest : pending.values()) {
                    before.addAll(rest);
                }
            }
            items.add(new BatchItem(batch, sample, before, last));
        }
        if (samples.isEmpty()) {
            items.add(new BatchItem(batch, null, batch.outputs(), true));
        }
        return items;
    }
}
