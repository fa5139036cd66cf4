package io.streamebm.losses;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.streamebm.autograd.Tensor;
import io.streamebm.energy.GaussianEnergy;
import io.streamebm.runtime.RandomSource;
import io.streamebm.distributions.Normal;
import io.streamebm.optim.Adam;
import io.streamebm.optim.TrainingStep;
import io.streamebm.samplers.LangevinDynamics;
import io.streamebm.telemetry.StepRecord;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Every loss recovers a 2-D Gaussian: data from N(μ*, Σ*) with μ* = (1, −1) and
 * Σ* = [[1, 0.5], [0.5, 2]], a {@link GaussianEnergy} started at N(0, I), and the fitted mean and
 * covariance must lie within 0.1 and 0.15 (Frobenius) of the sample estimates. Seeded.
 */
class GaussianRecoveryTest {

    static final int N = 2000;

    /** {@code n} draws of N(μ*, Σ*) through the Cholesky factor of Σ*. */
    static INDArray gaussianData(long seed, int n) {
        RandomSource r = new RandomSource(seed);
        double l11 = 1.0;
        double l21 = 0.5;
        double l22 = Math.sqrt(2.0 - 0.25);
        double[] buf = new double[2 * n];
        for (int i = 0; i < n; i++) {
            double z1 = r.nextGaussian();
            double z2 = r.nextGaussian();
            buf[2 * i] = 1.0 + l11 * z1;
            buf[2 * i + 1] = -1.0 + l21 * z1 + l22 * z2;
        }
        return Nd4j.createFromArray(buf).reshape(n, 2).castTo(DataType.FLOAT);
    }

    static double[] sampleMean(INDArray x) {
        return x.castTo(DataType.DOUBLE).mean(0).toDoubleVector();
    }

    static double[][] sampleCov(INDArray x) {
        INDArray c = x.castTo(DataType.DOUBLE).subRowVector(x.castTo(DataType.DOUBLE).mean(0));
        return c.transpose().mmul(c).divi(x.rows()).toDoubleMatrix();
    }

    /** Builds a loss for a model; some losses need the model for their sampler. */
    static Loss lossFor(String name, GaussianEnergy model) {
        switch (name) {
            case "cd":
                return new ContrastiveDivergenceLoss(new LangevinDynamics(model, 0.02).withSeed(1), 10);
            case "pcd":
                return new PersistentContrastiveDivergenceLoss(new LangevinDynamics(model, 0.01).withSeed(2), 1000, 10);
            case "sm":
                return new ScoreMatchingLoss();
            case "ssm":
                return new SlicedScoreMatchingLoss(4, SlicedScoreMatchingLoss.Projection.RADEMACHER, new RandomSource(3));
            case "dsm":
                return new DenoisingScoreMatchingLoss(0.1, new RandomSource(4));
            case "mle":
                return new MaximumLikelihoodLoss();
            case "nce":
                return new NoiseContrastiveEstimationLoss(new Normal(0, 2.5), 10, new RandomSource(5), DataType.FLOAT);
            default:
                throw new IllegalArgumentException(name);
        }
    }

    /** Trains with minibatches and a decaying learning rate; returns the last report. */
    static StepRecord fit(GaussianEnergy model, Loss loss, INDArray data, int steps, int batch, double lr) {
        List<Tensor> params = TrainingStep.trainableParameters(model, loss);
        Adam adam = new Adam(params, lr);
        adam.setSchedule(s -> s < steps * 0.6 ? lr : s < steps * 0.85 ? lr * 0.1 : lr * 0.02);
        TrainingStep train = new TrainingStep(model, loss, adam);
        RandomSource pick = new RandomSource(99);
        StepRecord last = null;
        for (int s = 0; s < steps; s++) {
            INDArray b = batch >= data.rows() ? data : rows(data, pick, batch);
            last = train.run(b);
        }
        return last;
    }

    static INDArray rows(INDArray data, RandomSource r, int batch) {
        int start = r.nextInt((int) data.rows() - batch + 1);
        return data.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(start, start + batch),
                org.nd4j.linalg.indexing.NDArrayIndex.all()).dup();
    }

    static void assertRecovered(String what, GaussianEnergy model, INDArray data) {
        double[] m = model.mean().castTo(DataType.DOUBLE).toDoubleVector();
        double[][] c = model.covariance().castTo(DataType.DOUBLE).toDoubleMatrix();
        double[] ms = sampleMean(data);
        double[][] cs = sampleCov(data);
        double meanErr = Math.hypot(m[0] - ms[0], m[1] - ms[1]);
        double fro = 0;
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
                fro += (c[i][j] - cs[i][j]) * (c[i][j] - cs[i][j]);
            }
        }
        fro = Math.sqrt(fro);
        String msg = String.format("%s: mean %s vs %s (err %.4f), cov %s vs %s (Frobenius %.4f)", what,
                java.util.Arrays.toString(m), java.util.Arrays.toString(ms), meanErr,
                java.util.Arrays.deepToString(c), java.util.Arrays.deepToString(cs), fro);
        System.out.println(msg);
        assertTrue(meanErr < 0.1, msg);
        assertTrue(fro < 0.15, msg);
    }

    static GaussianEnergy standardStart() {
        return new GaussianEnergy(Nd4j.zeros(DataType.FLOAT, 2), Nd4j.eye(2).castTo(DataType.FLOAT));
    }

    @ParameterizedTest
    @ValueSource(strings = {"mle", "sm", "ssm", "dsm", "cd", "pcd"})
    void recoversTheGaussian(String name) {
        INDArray data = gaussianData(2024, N);
        GaussianEnergy model = standardStart();
        Loss loss = lossFor(name, model);
        fit(model, loss, data, 500, N, 0.05);
        assertRecovered(name, model, data);
    }

    @Test
    void nceLearnsTheLogPartition() {
        INDArray data = gaussianData(2024, N);
        GaussianEnergy model = standardStart();
        NoiseContrastiveEstimationLoss loss = (NoiseContrastiveEstimationLoss) lossFor("nce", model);
        fit(model, loss, data, 800, N, 0.05);
        assertRecovered("nce", model, data);
        double logZ = model.logPartition().item();
        // Analytic log Z of the sample Gaussian: log 2π + ½ log det Σ̂.
        double[][] cs = sampleCov(data);
        double sampleLogZ = Math.log(2 * Math.PI) + 0.5 * Math.log(cs[0][0] * cs[1][1] - cs[0][1] * cs[1][0]);
        String msg = "c = " + loss.logNormalizer() + ", model log Z = " + logZ + ", sample log Z = " + sampleLogZ;
        System.out.println(msg);
        assertEquals(logZ, loss.logNormalizer(), 0.1, msg);
        assertEquals(sampleLogZ, loss.logNormalizer(), 0.1, msg);
    }
}
