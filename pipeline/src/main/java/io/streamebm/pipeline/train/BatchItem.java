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
 * @param sample   the sample, or null for a batch without samples
 * @param outputs  outputs to write before the sample, in position order
 * @param batchEnd the input batch this item ends, or null
 */
record BatchItem(InputBatch.Sample sample, List<InputBatch.Output> outputs, InputBatch batchEnd) {

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
            items.add(new BatchItem(sample, before, last ? batch : null));
        }
        if (samples.isEmpty()) {
            items.add(new BatchItem(null, batch.outputs(), batch));
        }
        return items;
    }
}
