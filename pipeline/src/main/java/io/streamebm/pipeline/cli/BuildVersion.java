package io.streamebm.pipeline.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/**
 * {@code streamebm --version}: the version Maven built, from {@code version.properties}, which the
 * build fills in by resource filtering. Never a string in the code, so it cannot go stale.
 */
public final class BuildVersion implements IVersionProvider {

    private static final String RESOURCE = "/io/streamebm/pipeline/version.properties";

    /** The project version of this build, or {@code unknown} for classes not built by Maven. */
    public static String version() {
        Properties p = new Properties();
        try (InputStream in = BuildVersion.class.getResourceAsStream(RESOURCE)) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            return "unknown";
        }
        String v = p.getProperty("version", "unknown");
        // An unfiltered placeholder means the resource was copied without Maven's filtering.
        return v.isBlank() || v.contains("${") ? "unknown" : v;
    }

    @Override
    public String[] getVersion() {
        return new String[] {"StreamEBM " + version(),
            "Java " + Runtime.version() + " (" + System.getProperty("java.vendor", "unknown vendor") + ")"};
    }
}
