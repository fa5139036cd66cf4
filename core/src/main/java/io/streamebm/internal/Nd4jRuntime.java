package io.streamebm.internal;

import io.streamebm.runtime.NativeBackendUnavailableException;

import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * Configures ND4J for small-core machines on the first use of {@code core}.
 *
 * <p>Why: with ND4J's defaults every element-wise op large enough to go parallel pays a flat
 * ~8 ms on a 2-core machine, because OpenMP threads spin-wait; an MLP pass then takes 100x longer
 * than it should. Every entry point of the library (tensors, energies, samplers) calls
 * {@link #ensureConfigured()}, so users never meet that trap.
 *
 * <p>The thread count defaults to 1. Override it with the system property
 * {@value #THREADS_PROPERTY} or the environment variable {@value #THREADS_ENV} (the property wins).
 * Set either to {@code default} to leave ND4J's own settings untouched.
 */
public final class Nd4jRuntime {

    /** System property that sets the ND4J/OpenMP/BLAS thread count, or {@code default}. */
    public static final String THREADS_PROPERTY = "streamebm.nd4j.threads";
    /** Environment variable that sets the ND4J/OpenMP/BLAS thread count, or {@code default}. */
    public static final String THREADS_ENV = "STREAMEBM_ND4J_THREADS";

    private static volatile boolean configured;
    private static int threads;
    /** Set when the native backend failed to load; every later call fails the same clear way. */
    private static NativeBackendUnavailableException unavailable;

    private Nd4jRuntime() {
    }

    /**
     * Applies the thread configuration once per JVM; cheap on every later call.
     *
     * @throws NativeBackendUnavailableException when ND4J's native library cannot be loaded here
     */
    public static void ensureConfigured() {
        if (configured) {
            return;
        }
        synchronized (Nd4jRuntime.class) {
            if (configured) {
                return;
            }
            if (unavailable != null) {
                throw unavailable;
            }
            try {
                Nd4j.getBackend();
            } catch (LinkageError | RuntimeException e) {
                // ND4J fails in its static initialiser (ExceptionInInitializerError) and with
                // NoClassDefFoundError after that; both bury an UnsatisfiedLinkError.
                unavailable = new NativeBackendUnavailableException(e);
                throw unavailable;
            }
            String setting = System.getProperty(THREADS_PROPERTY);
            if (setting == null || setting.isBlank()) {
                setting = System.getenv(THREADS_ENV);
            }
            if (setting == null || setting.isBlank()) {
                setting = "1";
            }
            setting = setting.trim();
            if (setting.equalsIgnoreCase("default")) {
                threads = -1;
            } else {
                int n;
                try {
                    n = Integer.parseInt(setting);
                } catch (NumberFormatException e) {
                    throw new IllegalStateException(THREADS_PROPERTY + "/" + THREADS_ENV
                            + " must be a positive integer or 'default', got '" + setting + "'");
                }
                if (n < 1) {
                    throw new IllegalStateException(THREADS_PROPERTY + "/" + THREADS_ENV
                            + " must be a positive integer or 'default', got " + n);
                }
                Nd4j.getEnvironment().setMaxMasterThreads(n);
                Nd4j.getEnvironment().setMaxThreads(n);
                NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(n);
                Nd4j.factory().blas().setMaxThreads(n);
                threads = n;
            }
            configured = true;
        }
    }

    /** The thread count applied, or −1 when ND4J's defaults were kept. */
    public static int threads() {
        ensureConfigured();
        return threads;
    }
}
