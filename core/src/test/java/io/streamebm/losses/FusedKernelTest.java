package io.streamebm.losses;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.autograd.Tensor;
import io.streamebm.runtime.RandomSource;
import io.streamebm.energy.fused.RowBlocks;
import io.streamebm.distributions.Normal;
import io.streamebm.energy.mlp.Activation;
import io.streamebm.energy.mlp.MlpEnergy;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The fused MLP kernels against the recorded autograd graph of the same network, for every
 * activation and both precisions: same loss value, same parameter gradients. (The finite-difference
 * test checks the fused path in float64; this one covers float32, deeper nets and all activations.)
 */
class FusedKernelTest {

    /** The same network with the same parameters, without its fused loss kernels: the autograd reference. */
    static MlpEnergy reference(MlpEnergy mlp) {
        MlpEnergy.Config c = mlp.config();
        MlpEnergy plain = new MlpEnergy(new MlpEnergy.Config(c.inputDim(), c.hidden(), c.activation(), c.seed(),
                c.dataType(), false));
        plain.setFlatParameters(mlp.flatParameters());
        return plain;
    }

    static double[] grads(MlpEnergy m) {
        List<Double> out = new ArrayList<>();
        for (Tensor p : m.parameters()) {
            // A parameter the loss does not reach (the output bias in score matching) has no
            // gradient under autograd and a zero one from the kernel.
            double[] g = p.grad() == null ? new double[(int) p.value().length()]
                    : p.grad().value().dup('c').castTo(DataType.DOUBLE).data().asDouble();
            for (double v : g) {
                out.add(v);
            }
            p.zeroGrad();
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    static Function<Long, Loss> loss(String name, DataType type) {
        switch (name) {
            case "dsm":
                return seed -> new DenoisingScoreMatchingLoss(0.2, new RandomSource(seed));
            case "sm":
                return seed -> new ScoreMatchingLoss();
            case "ssm":
                return seed -> new SlicedScoreMatchingLoss(3, SlicedScoreMatchingLoss.Projection.RADEMACHER,
                        new RandomSource(seed));
            case "nce":
                return seed -> new NoiseContrastiveEstimationLoss(new Normal(0, 1.5), 4, new RandomSource(seed),
                        type);
            default:
                throw new IllegalArgumentException(name);
        }
    }

    /**
     * Batches of 12 rows run as one block; batches of at least {@link RowBlocks#MIN_ROWS_TO_SPLIT}
     * rows are split in two halves on two threads, whose gradients must add up to the same.
     */
    /**
     * {@code energyValues} by the fused forward pass equals the recorded graph's energies, for
     * every activation and both precisions, on a view of a larger array too (which the forward pass
     * must not read as plain rows).
     */
    @ParameterizedTest
    @CsvSource({"SILU,FLOAT,1", "SILU,FLOAT,64", "SILU,DOUBLE,301", "TANH,FLOAT,64", "RELU,DOUBLE,12",
        "ELU,FLOAT,12", "SOFTPLUS,DOUBLE,64", "SIGMOID,FLOAT,301"})
    void fusedEnergyValuesEqualTheGraph(Activation act, DataType type, int rows) {
        MlpEnergy mlp = MlpEnergy.builder().inputDim(3).hidden(7, 5, 6).activation(act).seed(2).dataType(type)
                .build();
        INDArray wide = new RandomSource(4).gaussian(type, rows, 5);
        INDArray view = wide.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 4));
        for (INDArray x : new INDArray[] {view.dup('c'), view, view.castTo(DataType.DOUBLE).dup('f')}) {
            double[] fast = mlp.energyValues(x).castTo(DataType.DOUBLE).toDoubleVector();
            double[] graph = mlp.energy(Tensor.constant(x)).value().castTo(DataType.DOUBLE).toDoubleVector();
            assertEquals(rows, fast.length);
            for (int i = 0; i < rows; i++) {
                assertEquals(graph[i], fast[i], (type == DataType.FLOAT ? 1e-5 : 1e-12) * (1 + Math.abs(graph[i])),
                        act + " " + type + " row " + i);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"dsm,SILU,DOUBLE,12", "sm,SILU,DOUBLE,12", "ssm,SILU,DOUBLE,12", "nce,SILU,DOUBLE,12",
        "cd,SILU,DOUBLE,12", "dsm,TANH,DOUBLE,12", "ssm,TANH,DOUBLE,12", "dsm,SOFTPLUS,DOUBLE,12",
        "ssm,SIGMOID,DOUBLE,12", "ssm,ELU,DOUBLE,12", "cd,TANH,DOUBLE,12", "dsm,SILU,FLOAT,12", "sm,SILU,FLOAT,12",
        "ssm,SILU,FLOAT,12", "cd,SILU,FLOAT,12", "nce,SILU,FLOAT,12",
        "dsm,SILU,DOUBLE,301", "dsm,TANH,FLOAT,301", "nce,SILU,DOUBLE,301", "nce,SILU,FLOAT,301",
        "cd,ELU,DOUBLE,301", "cd,SILU,FLOAT,301"})
    void fusedEqualsAutograd(String name, Activation act, DataType type, int rows) {
        MlpEnergy mlp = MlpEnergy.builder().inputDim(3).hidden(7, 5, 6).activation(act).seed(2).dataType(type)
                .build();
        INDArray data = new RandomSource(4).gaussian(type, rows, 3);
        double fused;
        double plain;
        if (name.equals("cd")) {
            INDArray neg = new RandomSource(5).gaussian(type, rows - 2, 3);
            double[][] e = new double[1][];
            fused = LossSupport.contrastive(mlp, data, neg, null, 0.3, e).item();
            LossSupport.contrastive(mlp, data, neg, null, 0.3, e).backward();
            double[] g1 = grads(mlp);
            MlpEnergy plainModel = reference(mlp);
            Tensor l = LossSupport.contrastive(plainModel, data, neg, null, 0.3, e);
            plain = l.item();
            l.backward();
            assertClose(g1, grads(plainModel), type, name);
        } else {
            Tensor l1 = loss(name, type).apply(9L).apply(mlp, data);
            fused = l1.item();
            l1.backward();
            double[] g1 = grads(mlp);
            MlpEnergy plainModel = reference(mlp);
            Tensor l2 = loss(name, type).apply(9L).apply(plainModel, data);
            plain = l2.item();
            l2.backward();
            assertClose(g1, grads(plainModel), type, name);
        }
        assertEquals(plain, fused, (type == DataType.FLOAT ? 1e-4 : 1e-10) * (1 + Math.abs(plain)), name);
    }

    @org.junit.jupiter.api.Test
    void slicedScoreMatchingThroughDistinctRademacherDirectionsEqualsAllDraws() {
        // d = 2 and 5 projections: the kernel evaluates the 2 distinct directions, weighted.
        for (DataType type : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
            MlpEnergy mlp = MlpEnergy.builder().inputDim(2).hidden(8, 8).activation(Activation.SILU).seed(3)
                    .dataType(type).build();
            INDArray data = new RandomSource(6).gaussian(type, 20, 2);
            Tensor l1 = new SlicedScoreMatchingLoss(5, SlicedScoreMatchingLoss.Projection.RADEMACHER,
                    new RandomSource(7)).apply(mlp, data);
            l1.backward();
            double[] g1 = grads(mlp);
            MlpEnergy plainModel = reference(mlp);
            Tensor l2 = new SlicedScoreMatchingLoss(5, SlicedScoreMatchingLoss.Projection.RADEMACHER,
                    new RandomSource(7)).apply(plainModel, data);
            l2.backward();
            assertClose(g1, grads(plainModel), type, "ssm distinct directions " + type);
            assertEquals(l2.item(), l1.item(), (type == DataType.FLOAT ? 1e-4 : 1e-10) * (1 + Math.abs(l2.item())));
        }
    }

    @org.junit.jupiter.api.Test
    void aSplitBatchGivesTheSameNumbersOnEveryCall() {
        // The second half writes into buffers its pass keeps; a second call must not see the first.
        MlpEnergy mlp = MlpEnergy.builder().inputDim(2).hidden(16, 16).seed(5).build();
        INDArray pos = new RandomSource(1).gaussian(DataType.FLOAT, 200, 2);
        INDArray neg = new RandomSource(2).gaussian(DataType.FLOAT, 300, 2);
        double[][] e = new double[1][];
        LossSupport.contrastive(mlp, pos, neg, null, 0.1, e).backward();
        double[] first = grads(mlp);
        LossSupport.contrastive(mlp, pos.mul(2), neg, null, 0.1, e).backward();
        double[] other = grads(mlp);
        LossSupport.contrastive(mlp, pos, neg, null, 0.1, e).backward();
        double[] again = grads(mlp);
        org.junit.jupiter.api.Assertions.assertArrayEquals(first, again, "same batch, same gradients, bit for bit");
        assertTrue(!java.util.Arrays.equals(first, other), "a different batch changes the gradients");
    }

    @org.junit.jupiter.api.Test
    void aSplitBatchGivesTheSameNumbersOnOneThreadAsOnTwo() {
        // Called from a kernel thread, the kernel runs both halves on that one thread: the same
        // path as STREAMEBM_KERNEL_THREADS=1. The numbers must not change, bit for bit.
        MlpEnergy mlp = MlpEnergy.builder().inputDim(2).hidden(16, 16).seed(6).build();
        INDArray data = new RandomSource(3).gaussian(DataType.FLOAT, 64, 2);
        java.util.function.Supplier<double[]> nceGradients = () -> {
            new NoiseContrastiveEstimationLoss(new Normal(0, 2), 10, new RandomSource(8), DataType.FLOAT)
                    .apply(mlp, data).backward();
            return grads(mlp);
        };
        double[] twoThreads = nceGradients.get();
        double[][] oneThread = new double[1][];
        io.streamebm.internal.KernelThreads.runAll(List.of(() -> { }, () -> oneThread[0] = nceGradients.get()));
        org.junit.jupiter.api.Assertions.assertArrayEquals(twoThreads, oneThread[0]);
    }

    static void assertClose(double[] a, double[] b, DataType type, String what) {
        assertEquals(a.length, b.length);
        double scale = 0;
        for (double v : b) {
            scale = Math.max(scale, Math.abs(v));
        }
        double tol = (type == DataType.FLOAT ? 1e-4 : 1e-10) * (1 + scale);
        for (int i = 0; i < a.length; i++) {
            assertTrue(Math.abs(a[i] - b[i]) <= tol, what + ": gradient " + i + " fused " + a[i] + " vs autograd " + b[i]);
        }
    }
}
