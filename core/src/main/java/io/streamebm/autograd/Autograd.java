package io.streamebm.autograd;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Reverse-mode differentiation over {@link Tensor} graphs, including gradients of gradients.
 *
 * <p>Every backward rule is itself written with {@code Tensor} operations. With
 * {@code createGraph = false} those rules run with recording switched off, so they cost no more
 * than plain array arithmetic. With {@code createGraph = true} they record, and the gradients they
 * return can be differentiated again, to any order (as {@code torch.autograd.grad(...,
 * create_graph=True)}). Score matching needs that; ND4J's SameDiff cannot do it.
 *
 * <p>Recording is per thread: {@link #noGrad(Supplier)} switches it off for the current thread
 * only.
 */
public final class Autograd {

    private static final ThreadLocal<int[]> NO_GRAD_DEPTH = ThreadLocal.withInitial(() -> new int[1]);

    private Autograd() {
    }

    /** Whether operations on the current thread record a graph. */
    public static boolean isGradEnabled() {
        return NO_GRAD_DEPTH.get()[0] == 0;
    }

    /** Runs {@code body} with recording switched off on this thread, and returns its result. */
    public static <T> T noGrad(Supplier<T> body) {
        int[] depth = NO_GRAD_DEPTH.get();
        depth[0]++;
        try {
            return body.get();
        } finally {
            depth[0]--;
        }
    }

    /** Runs {@code body} with recording switched off on this thread. */
    public static void noGrad(Runnable body) {
        noGrad(() -> {
            body.run();
            return null;
        });
    }

    private static <T> T withGrad(boolean enabled, Supplier<T> body) {
        int[] depth = NO_GRAD_DEPTH.get();
        int saved = depth[0];
        depth[0] = enabled ? 0 : saved + 1;
        try {
            return body.get();
        } finally {
            depth[0] = saved;
        }
    }

    /**
     * Gradient of {@code output} with respect to one input. A non-scalar output is differentiated
     * as the sum of its elements, which gives per-row input gradients of a batch of energies.
     */
    public static Tensor grad(Tensor output, Tensor input, boolean createGraph) {
        return grad(List.of(output), List.of(input), createGraph).get(0);
    }

    /**
     * Gradients of the sum of {@code outputs} with respect to each of {@code inputs}. An input that
     * the outputs do not depend on gets a zero gradient.
     *
     * @param createGraph whether the returned gradients are themselves recorded and differentiable
     */
    public static List<Tensor> grad(List<Tensor> outputs, List<Tensor> inputs, boolean createGraph) {
        return grad(outputs, null, inputs, createGraph);
    }

    /**
     * Vector-Jacobian products: the gradient of {@code Σᵢ <gradOutputsᵢ, outputsᵢ>} with respect to
     * each input. {@code gradOutputs} may be {@code null} (ones everywhere), otherwise it must match
     * {@code outputs} in length and shapes.
     */
    public static List<Tensor> grad(List<Tensor> outputs, List<Tensor> gradOutputs, List<Tensor> inputs,
            boolean createGraph) {
        Objects.requireNonNull(outputs, "outputs");
        Objects.requireNonNull(inputs, "inputs");
        if (gradOutputs != null && gradOutputs.size() != outputs.size()) {
            throw new IllegalArgumentException("gradOutputs has " + gradOutputs.size()
                    + " entries but there are " + outputs.size() + " outputs");
        }
        for (Tensor in : inputs) {
            if (!in.requiresGrad()) {
                throw new IllegalArgumentException("input " + in.describe()
                        + " does not require a gradient; create it with Tensor.variable(...)");
            }
        }
        IdentityHashMap<Tensor, Boolean> targets = new IdentityHashMap<>();
        for (Tensor in : inputs) {
            targets.put(in, Boolean.TRUE);
        }
        Map<Tensor, Tensor> grads = run(outputs, gradOutputs, targets, createGraph);
        List<Tensor> result = new ArrayList<>(inputs.size());
        for (Tensor in : inputs) {
            Tensor g = grads.get(in);
            result.add(g != null ? g : Tensor.constant(in.value().ulike().assign(0)));
        }
        return result;
    }

    /** Backs {@link Tensor#backward()}: accumulates into {@code grad()} of every reachable leaf. */
    static void backward(Tensor output, Tensor gradOutput) {
        Map<Tensor, Tensor> grads = run(List.of(output),
                gradOutput == null ? null : List.of(gradOutput), null, false);
        for (Map.Entry<Tensor, Tensor> e : grads.entrySet()) {
            Tensor leaf = e.getKey();
            if (leaf.isLeaf()) {
                leaf.accumulateGrad(e.getValue());
            }
        }
    }

    /**
     * Core of the engine. {@code targets == null} means "every leaf that requires a gradient".
     * Only nodes from which a target can be reached are visited, and backward rules are told which
     * parents need a gradient so that, say, ∇ₓE does not also compute weight gradients.
     */
    private static Map<Tensor, Tensor> run(List<Tensor> outputs, List<Tensor> gradOutputs,
            IdentityHashMap<Tensor, Boolean> targets, boolean createGraph) {
        List<Tensor> order = new ArrayList<>();
        IdentityHashMap<Tensor, Boolean> needed = new IdentityHashMap<>();
        topologicalOrder(outputs, targets, order, needed);

        IdentityHashMap<Tensor, Tensor> grads = new IdentityHashMap<>();
        for (int i = 0; i < outputs.size(); i++) {
            Tensor out = outputs.get(i);
            if (!Boolean.TRUE.equals(needed.get(out))) {
                continue;
            }
            Tensor seed;
            if (gradOutputs != null && gradOutputs.get(i) != null) {
                seed = gradOutputs.get(i);
                Tensor.requireSameShape("gradOutput", out.value(), seed.value());
            } else {
                seed = Tensor.constant(out.value().ulike().assign(1));
            }
            accumulate(grads, out, seed);
        }

        return withGrad(createGraph, () -> {
            IdentityHashMap<Tensor, Tensor> result = new IdentityHashMap<>();
            // order is parents-before-children; walk it backwards so every node's gradient is
            // complete before its rule runs.
            for (int i = order.size() - 1; i >= 0; i--) {
                Tensor node = order.get(i);
                Tensor g = grads.remove(node);
                if (g == null) {
                    continue;
                }
                boolean isTarget = targets == null ? node.isLeaf() : targets.containsKey(node);
                if (isTarget) {
                    result.put(node, g);
                }
                if (node.isLeaf()) {
                    continue;
                }
                Tensor[] parents = node.parents();
                boolean[] need = new boolean[parents.length];
                boolean any = false;
                for (int p = 0; p < parents.length; p++) {
                    need[p] = Boolean.TRUE.equals(needed.get(parents[p]));
                    any |= need[p];
                }
                if (!any) {
                    continue;
                }
                Tensor[] parentGrads = node.backwardFn().apply(node, g, need);
                for (int p = 0; p < parents.length; p++) {
                    if (need[p] && parentGrads[p] != null) {
                        accumulate(grads, parents[p], parentGrads[p]);
                    }
                }
            }
            return result;
        });
    }

    private static void accumulate(Map<Tensor, Tensor> grads, Tensor node, Tensor g) {
        Tensor prev = grads.get(node);
        grads.put(node, prev == null ? g : prev.add(g));
    }

    /**
     * Iterative post-order DFS (graphs of long sampler chains would overflow a recursive one). Marks
     * a node as needed when it is a target or one of its parents is needed.
     */
    private static void topologicalOrder(List<Tensor> outputs, IdentityHashMap<Tensor, Boolean> targets,
            List<Tensor> order, IdentityHashMap<Tensor, Boolean> needed) {
        IdentityHashMap<Tensor, Boolean> visited = new IdentityHashMap<>();
        Deque<Object[]> stack = new ArrayDeque<>();
        for (Tensor root : outputs) {
            if (!root.requiresGrad() || visited.containsKey(root)) {
                continue;
            }
            visited.put(root, Boolean.TRUE);
            stack.push(new Object[] {root, 0});
            while (!stack.isEmpty()) {
                Object[] frame = stack.peek();
                Tensor node = (Tensor) frame[0];
                int next = (Integer) frame[1];
                Tensor[] parents = node.isLeaf() ? new Tensor[0] : node.parents();
                if (next < parents.length) {
                    frame[1] = next + 1;
                    Tensor parent = parents[next];
                    if (parent.requiresGrad() && !visited.containsKey(parent)) {
                        visited.put(parent, Boolean.TRUE);
                        stack.push(new Object[] {parent, 0});
                    }
                    continue;
                }
                stack.pop();
                boolean need = targets == null ? node.isLeaf() : targets.containsKey(node);
                for (Tensor parent : parents) {
                    need |= Boolean.TRUE.equals(needed.get(parent));
                }
                if (need) {
                    needed.put(node, Boolean.TRUE);
                }
                order.add(node);
            }
        }
    }
}
