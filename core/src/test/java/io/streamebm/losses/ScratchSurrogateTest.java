package io.streamebm.losses;

import io.streamebm.autograd.Tensor;
import io.streamebm.core.MlpEnergy;
import io.streamebm.core.RandomSource;
import io.streamebm.optim.Adam;
import io.streamebm.optim.GradientClipping;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class ScratchSurrogateTest {
    @Test
    void time() {
        MlpEnergy m = MlpEnergy.builder().build();
        List<INDArray> g = new ArrayList<>();
        for (Tensor p : m.parameters()) g.add(p.value().dup());
        Adam adam = new Adam(m.parameters(), 1e-3);
        INDArray x = new RandomSource(1).gaussian(org.nd4j.linalg.api.buffer.DataType.FLOAT, 256, 2);
        DenoisingScoreMatchingLoss dsm = new DenoisingScoreMatchingLoss(0.1);
        for (int rep = 0; rep < 3; rep++) {
            long a = 0, b = 0, c = 0, d = 0, e = 0;
            for (int i = 0; i < 500; i++) {
                long t0 = System.nanoTime();
                Tensor s = MlpKernel.surrogate(1.0, m.parameters(), g);
                long t1 = System.nanoTime();
                adam.zeroGrad();
                s.backward();
                long t2 = System.nanoTime();
                GradientClipping.none().clip(m.parameters());
                long t3 = System.nanoTime();
                adam.step();
                long t4 = System.nanoTime();
                dsm.apply(m, x);
                long t5 = System.nanoTime();
                a += t1 - t0; b += t2 - t1; c += t3 - t2; d += t4 - t3; e += t5 - t4;
            }
            System.out.printf("surrogate %.3f backward %.3f norm %.3f adam %.3f dsm-apply %.3f ms%n", a / 5e8, b / 5e8, c / 5e8, d / 5e8, e / 5e8);
        }
    }
}
