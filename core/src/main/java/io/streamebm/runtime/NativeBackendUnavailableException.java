package io.streamebm.runtime;

import io.streamebm.internal.Nd4jRuntime;

import java.util.Locale;
import java.util.Optional;

/**
 * ND4J's native backend could not be loaded on this machine: the build did not include the native
 * jar for this operating system and architecture, or the platform has none.
 *
 * <p>Why a type of its own: ND4J reports this as an {@link ExceptionInInitializerError} several
 * causes deep, and every later use as a bare {@link NoClassDefFoundError}. Callers (the command
 * line) turn this exception into one readable line instead of a stack trace.
 */
public final class NativeBackendUnavailableException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    /** The platforms whose native jars the build can choose (see the nd4j-* profiles of the parent pom). */
    public static final String SUPPORTED = "linux-x86_64, linux-arm64, macosx-x86_64, macosx-arm64";

    /** @param cause what failed when ND4J loaded its native backend */
    public NativeBackendUnavailableException(Throwable cause) {
        super("ND4J's native library cannot be loaded on " + platform() + " (" + rootMessage(cause)
                + "). StreamEBM runs on " + SUPPORTED + "; build it on the machine that runs it so Maven"
                + " picks that machine's native jar (or pass -Dnd4j.classifier=<platform>).", cause);
    }

    /**
     * Finds the native-backend failure behind {@code failure}, if that is what it is: either this
     * exception somewhere in its causes, or ND4J's own failure to load its JNI library (which
     * surfaces when ND4J is touched before {@link Nd4jRuntime}).
     */
    public static Optional<NativeBackendUnavailableException> findIn(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof NativeBackendUnavailableException known) {
                return Optional.of(known);
            }
            if (t instanceof UnsatisfiedLinkError && t.getMessage() != null
                    && t.getMessage().toLowerCase(Locale.ROOT).matches(".*(nd4j|openblas|javacpp).*")) {
                return Optional.of(new NativeBackendUnavailableException(failure));
            }
            if (t instanceof NoClassDefFoundError && t.getMessage() != null
                    && t.getMessage().contains("org.nd4j.linalg.factory.Nd4j")) {
                return Optional.of(new NativeBackendUnavailableException(failure));
            }
        }
        return Optional.empty();
    }

    /** This JVM's platform as ND4J's classifiers spell it, such as {@code linux-x86_64}. */
    public static String platform() {
        String os = System.getProperty("os.name", "unknown").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "unknown").toLowerCase(Locale.ROOT);
        String osName = os.startsWith("linux") ? "linux" : os.startsWith("mac") ? "macosx"
                : os.startsWith("windows") ? "windows" : os.replace(' ', '_');
        String archName = switch (arch) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "arm64";
            default -> arch;
        };
        return osName + "-" + archName;
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = root.getMessage();
        return root.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }
}
