package io.streamebm.optim;

import io.streamebm.autograd.Tensor;
import io.streamebm.runtime.Stateful;
import io.streamebm.schedules.Schedule;
import java.util.List;

/**
 * Updates trainable {@link Tensor} leaves in place from the gradients that {@code backward()} left
 * in their {@link Tensor#grad()}, as {@code torch.optim} does:
 * <pre>{@code
 * optimizer.zeroGrad();
 * loss.backward();
 * optimizer.step();
 * }</pre>
 *
 * <p>Contract:
 * <ul>
 *   <li>{@link #step()} is atomic. It computes every new parameter and every new state first, and
 *       writes nothing unless all of them are finite; otherwise it throws a
 *       {@link NonFiniteUpdateException} and the parameters and the optimizer state stay as they
 *       were. A parameter without a gradient is skipped, as in PyTorch.</li>
 *   <li>The learning rate is a constant ({@link #setLearningRate}) or follows a
 *       {@link Schedule} of the 0-based update count ({@link #setSchedule}).</li>
 *   <li>{@link #exportState()} holds the update count, the constant learning rate and every
 *       per-parameter buffer, in the parameters' own data type; importing it into an optimizer
 *       built with the same configuration over equally shaped parameters continues bit for bit.</li>
 * </ul>
 * Optimizers are not thread-safe; the training thread owns one.
 */
public interface Optimizer extends Stateful {

    /** The parameters this optimizer updates, in the order given at construction. */
    List<Tensor> parameters();

    /** Clears the gradient of every parameter. */
    void zeroGrad();

    /**
     * Applies one update from the current gradients.
     *
     * @throws NonFiniteUpdateException if a gradient or a new value is NaN or infinite; nothing changes
     */
    void step();

    /** The learning rate the next {@link #step()} will use. */
    double learningRate();

    /** Sets a constant learning rate, replacing any schedule. */
    void setLearningRate(double learningRate);

    /** Makes the learning rate follow {@code schedule} evaluated at the 0-based update count. */
    void setSchedule(Schedule schedule);

    /** The number of updates applied so far. */
    long stepCount();

    /**
     * Global L2 norm of all parameters after the last {@link #step()}, computed during the update
     * at no extra cost; before the first step, the norm of the initial parameters.
     */
    double parameterNorm();
}
