package io.streamebm.energy.fused;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.streamebm.autograd.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link RowBlocks#run(int, int, RowBlocks.Rows, RowBlocks.Work)}: a batch with rows that weigh
 * nothing is split as the weighed rows alone would be, the others joining the last block.
 */
class RowBlocksTest {

    /** The blocks the work saw, as "slot:first+rows". */
    private static List<String> blocks(int n, int weighed) {
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        FusedResult r = RowBlocks.run(n, weighed, (block, from, to) -> Nd4j.zeros(to - from, 2), (slot, rows, first) -> {
            seen.add(slot + ":" + first + "+" + rows.rows());
            return new FusedResult(rows.rows(), new double[(int) rows.rows()],
                    Map.of("w", new FusedResult.ParameterGradient(Tensor.parameter(Nd4j.zeros(1)), Nd4j.zeros(1))));
        });
        assertEquals(n, r.energies().length, "energies of every row");
        assertEquals(n, r.value(), 0.0, "values added");
        List<String> sorted = new ArrayList<>(seen);
        Collections.sort(sorted);
        return sorted;
    }

    @Test
    void rowsThatWeighNothingJoinTheLastBlock() {
        assertEquals(List.of("1:0+256", "2:256+320"), blocks(576, 512));
        assertEquals(List.of("1:0+288", "2:288+288"), blocks(576, 576), "all weighed: halves of the batch");
        assertEquals(List.of("0:0+300"), blocks(300, 200), "too few weighed rows to split: one block");
        assertArrayEquals(new int[] {0, 256, 512}, RowBlocks.bounds(512));
        assertThrows(IllegalArgumentException.class, () -> blocks(10, 11));
    }
}
