package io.streamebm.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads that fused kernels split a large batch over: the calling thread plus a small shared
 * pool of daemon threads.
 *
 * <p>Why: ND4J runs single-threaded here (see {@link Nd4jRuntime}; its OpenMP threads spin-wait
 * and make small ops 100x slower), which leaves the second core idle during a training step. A
 * kernel instead splits its rows into fixed blocks and runs the blocks side by side, each one
 * single-threaded ND4J and plain Java. The number of blocks depends only on the row count, never
 * on the thread count, so a seeded run gives the same numbers on any machine.
 *
 * <p>The thread count defaults to min(2, available processors). Override it with the system
 * property {@value #THREADS_PROPERTY} or the environment variable {@value #THREADS_ENV} (the
 * property wins); 1 runs every block on the calling thread.
 */
public final class KernelThreads {

    /** System property that sets the kernel thread count (the caller included). */
    public static final String THREADS_PROPERTY = "streamebm.kernel.threads";
    /** Environment variable that sets the kernel thread count (the caller included). */
    public static final String THREADS_ENV = "STREAMEBM_KERNEL_THREADS";

    private static final int THREADS = configuredThreads();
    private static final ThreadLocal<Boolean> IS_WORKER = ThreadLocal.withInitial(() -> Boolean.FALSE);
    private static volatile ExecutorService pool;

    private KernelThreads() {
    }

    /** The configured thread count, the calling thread included; at least 1. */
    public static int threads() {
        return THREADS;
    }

    /**
     * How a kernel splits a batch of {@code rows} rows, as block boundaries: {@code {0, rows}} below
     * {@code minRowsToSplit}, else two halves {@code {0, rows / 2, rows}}. The one rule every kernel
     * uses, and it depends on the row count alone: that is what keeps results independent of the
     * thread count.
     */
    public static int[] blockBounds(int rows, int minRowsToSplit) {
        return rows < minRowsToSplit ? new int[] {0, rows} : new int[] {0, rows / 2, rows};
    }

    /**
     * Runs every task and returns when all have finished: the first on the calling thread, the
     * others on the pool. A task that fails does not stop the others; the first failure is
     * rethrown (unchecked exceptions and errors as they are) once all have finished. Called from a
     * pool thread, or with one thread configured, it runs the tasks one after the other.
     */
    public static void runAll(List<Runnable> tasks) {
        if (tasks.isEmpty()) {
            return;
        }
        if (THREADS == 1 || tasks.size() == 1 || IS_WORKER.get()) {
            for (Runnable t : tasks) {
                t.run();
            }
            return;
        }
        ExecutorService p = pool();
        List<Future<?>> futures = new ArrayList<>(tasks.size() - 1);
        for (int i = 1; i < tasks.size(); i++) {
            futures.add(p.submit(tasks.get(i)));
        }
        Throwable failure = null;
        try {
            tasks.get(0).run();
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        boolean interrupted = false;
        for (Future<?> f : futures) {
            while (true) {
                try {
                    f.get();
                    break;
                } catch (InterruptedException e) {
                    // Keep waiting: the other blocks still write into buffers the caller owns.
                    interrupted = true;
                } catch (ExecutionException e) {
                    if (failure == null) {
                        failure = e.getCause();
                    }
                    break;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failure instanceof RuntimeException) {
            throw (RuntimeException) failure;
        }
        if (failure instanceof Error) {
            throw (Error) failure;
        }
        if (failure != null) {
            throw new IllegalStateException("a kernel block failed", failure);
        }
    }

    private static ExecutorService pool() {
        ExecutorService p = pool;
        if (p == null) {
            synchronized (KernelThreads.class) {
                p = pool;
                if (p == null) {
                    AtomicInteger id = new AtomicInteger();
                    p = Executors.newFixedThreadPool(THREADS - 1, r -> {
                        Thread t = new Thread(() -> {
                            IS_WORKER.set(Boolean.TRUE);
                            r.run();
                        }, "streamebm-kernel-" + id.incrementAndGet());
                        t.setDaemon(true);
                        return t;
                    });
                    pool = p;
                }
            }
        }
        return p;
    }

    private static int configuredThreads() {
        String setting = System.getProperty(THREADS_PROPERTY);
        if (setting == null || setting.isBlank()) {
            setting = System.getenv(THREADS_ENV);
        }
        if (setting == null || setting.isBlank()) {
            return Math.min(2, Runtime.getRuntime().availableProcessors());
        }
        try {
            int n = Integer.parseInt(setting.trim());
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalStateException(THREADS_PROPERTY + "/" + THREADS_ENV + " must be a positive integer, got '"
                + setting.trim() + "'");
    }
}
