package io.streamebm.monitoring;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.zip.GZIPOutputStream;

/**
 * The HTTP endpoints of a trainer, on the JDK's built-in {@link HttpServer} (no web framework, and
 * nothing that could interfere with the trainer's threads):
 * <ul>
 *   <li>{@code GET /metrics}: the registry in the Prometheus text format
 *       ({@code text/plain; version=0.0.4}); OpenMetrics only when the {@code Accept} header
 *       prefers {@code application/openmetrics-text}; gzip when the client accepts it.</li>
 *   <li>{@code GET /health}: liveness and readiness as JSON; 200 when ready, 503 when not.</li>
 * </ul>
 *
 * <p>Slow or stalled clients cannot starve the endpoints: the JDK server reads each request on an
 * executor thread, so twenty connections that trickle their headers (slowloris) used to hold both
 * threads and time out every probe, and a liveness check would then restart a healthy trainer. Now
 * each connection gets a thread of its own (daemon threads, up to {@value #MAX_THREADS}), and a
 * request whose headers are not complete within {@value #MAX_REQUEST_SECONDS} s, or whose response
 * takes longer than {@value #MAX_RESPONSE_SECONDS} s, is closed by the server. Both bounds are the
 * JDK server's own {@code sun.net.httpserver.maxReqTime}/{@code maxRspTime} settings, set here unless
 * the user set them.
 */
public final class MetricsServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MetricsServer.class);

    // Literals rather than the Prometheus client's writer constants: that artifact is only a
    // runtime dependency of micrometer-registry-prometheus. registry.scrape(out, contentType)
    // picks its writer from these same strings.

    /** Content type of the Prometheus text format, the default answer of {@code /metrics}. */
    public static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    /** Content type of OpenMetrics, sent only when asked for. */
    public static final String OPENMETRICS_TEXT = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    /** Most connections served at once; beyond it new ones wait for the request timeout to close them. */
    public static final int MAX_THREADS = 512;
    /** Seconds a client has to send its request line and headers. */
    public static final int MAX_REQUEST_SECONDS = 10;
    /** Seconds a client has to take the response. */
    public static final int MAX_RESPONSE_SECONDS = 30;

    static {
        // Read once by the JDK server's configuration class, so before any server is created.
        setIfAbsent("sun.net.httpserver.maxReqTime", Integer.toString(MAX_REQUEST_SECONDS));
        setIfAbsent("sun.net.httpserver.maxRspTime", Integer.toString(MAX_RESPONSE_SECONDS));
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final PrometheusMeterRegistry registry;
    private final Supplier<HealthStatus> health;

    private MetricsServer(HttpServer server, ExecutorService executor, PrometheusMeterRegistry registry,
                          Supplier<HealthStatus> health) {
        this.server = server;
        this.executor = executor;
        this.registry = registry;
        this.health = health;
    }

    /**
     * Starts serving on {@code options.host():options.port()}.
     *
     * @param options  bind address and port (0 picks a free port, see {@link #port()})
     * @param registry the registry to expose
     * @param health   the health verdict served by {@code /health}
     * @return the running server; close it to stop
     * @throws IOException if the address cannot be bound
     */
    public static MetricsServer start(MonitoringOptions options, PrometheusMeterRegistry registry,
                                      Supplier<HealthStatus> health) throws IOException {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(health, "health");
        HttpServer server = HttpServer.create(new InetSocketAddress(options.host(), options.port()), 16);
        AtomicInteger n = new AtomicInteger();
        // A thread per connection while it lasts (idle ones end after 30 s). Beyond MAX_THREADS the
        // exchange is dropped: the server's request timeout then closes its connection.
        ExecutorService executor = new ThreadPoolExecutor(2, MAX_THREADS, 30, TimeUnit.SECONDS,
                new SynchronousQueue<>(), r -> {
                    Thread t = new Thread(r, "streamebm-metrics-http-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.DiscardPolicy());
        server.setExecutor(executor);
        MetricsServer ms = new MetricsServer(server, executor, registry, health);
        server.createContext("/metrics", ms::metrics);
        server.createContext("/health", ms::health);
        server.start();
        LOG.info("metrics endpoint listening on {}", ms.baseUri());
        return ms;
    }

    /** @return the bound address (with the actual port when 0 was requested) */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    /** @return the bound port */
    public int port() {
        return server.getAddress().getPort();
    }

    /** @return {@code http://host:port}, for logs and tests */
    public URI baseUri() {
        InetSocketAddress a = address();
        String host = a.getAddress().getHostAddress();
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return URI.create("http://" + host + ":" + a.getPort());
    }

    /** Stops accepting requests, lets running ones finish for up to a second, and frees the port. */
    @Override
    public void close() {
        server.stop(1);
        executor.shutdown();
        try {
            executor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void metrics(HttpExchange ex) throws IOException {
        try (ex) {
            if (!allowGet(ex) || !exactPath(ex, "/metrics")) {
                return;
            }
            String contentType = negotiate(ex.getRequestHeaders().getFirst("Accept"));
            ByteArrayOutputStream body = new ByteArrayOutputStream(64 * 1024);
            try {
                registry.scrape(body, contentType);
            } catch (RuntimeException e) {
                // A failing meter (for example a Kafka client closed under its binding) must show as
                // a failed scrape (`up` stays 1 but the scrape errors) rather than a dropped connection.
                LOG.warn("scrape failed", e);
                send(ex, 500, "text/plain; charset=utf-8",
                        ("scrape failed: " + e + "\n").getBytes(StandardCharsets.UTF_8));
                return;
            }
            send(ex, 200, contentType, body.toByteArray());
        }
    }

    private void health(HttpExchange ex) throws IOException {
        try (ex) {
            if (!allowGet(ex) || !exactPath(ex, "/health")) {
                return;
            }
            HealthStatus s = health.get();
            send(ex, s.httpStatus(), "application/json; charset=utf-8",
                    s.toJson().getBytes(StandardCharsets.UTF_8));
        }
    }

    /**
     * Picks the exposition format from an {@code Accept} header: OpenMetrics only when it is
     * listed with a quality above zero and at least as high as the Prometheus text format (or
     * {@code *}/{@code *} standing in for it). Prometheus itself asks for OpenMetrics first; curl and
     * promtool-style consumers that send nothing get the text format, which promtool can parse.
     *
     * @param accept the header value, possibly null
     * @return {@link #OPENMETRICS_TEXT} or {@link #PROMETHEUS_TEXT}
     */
    static String negotiate(String accept) {
        if (accept == null || accept.isBlank()) {
            return PROMETHEUS_TEXT;
        }
        double openMetrics = 0;
        double text = 0;
        double wildcard = 0;
        for (String part : accept.split(",")) {
            String[] params = part.split(";");
            String mediaType = params[0].strip().toLowerCase(Locale.ROOT);
            double q = 1.0;
            for (int i = 1; i < params.length; i++) {
                String p = params[i].strip();
                if (p.startsWith("q=") || p.startsWith("Q=")) {
                    try {
                        q = Double.parseDouble(p.substring(2).strip());
                    } catch (NumberFormatException e) {
                        q = 0;
                    }
                }
            }
            switch (mediaType) {
                case "application/openmetrics-text" -> openMetrics = Math.max(openMetrics, q);
                case "text/plain", "text/*" -> text = Math.max(text, q);
                case "*/*" -> wildcard = Math.max(wildcard, q);
                default -> { }
            }
        }
        double textQ = Math.max(text, wildcard);
        return openMetrics > 0 && openMetrics >= textQ ? OPENMETRICS_TEXT : PROMETHEUS_TEXT;
    }

    private static boolean allowGet(HttpExchange ex) throws IOException {
        String m = ex.getRequestMethod();
        if ("GET".equals(m) || "HEAD".equals(m)) {
            return true;
        }
        ex.getResponseHeaders().set("Allow", "GET, HEAD");
        send(ex, 405, "text/plain; charset=utf-8", "method not allowed\n".getBytes(StandardCharsets.UTF_8));
        return false;
    }

    /** HttpServer contexts match by prefix; answer 404 for {@code /metricsfoo} rather than metrics. */
    private static boolean exactPath(HttpExchange ex, String path) throws IOException {
        String p = ex.getRequestURI().getPath();
        if (path.equals(p) || (path + "/").equals(p)) {
            return true;
        }
        send(ex, 404, "text/plain; charset=utf-8", "not found\n".getBytes(StandardCharsets.UTF_8));
        return false;
    }

    private static void send(HttpExchange ex, int status, String contentType, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", contentType);
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        byte[] payload = body;
        String acceptEncoding = ex.getRequestHeaders().getFirst("Accept-Encoding");
        if (acceptEncoding != null && acceptEncoding.toLowerCase(Locale.ROOT).contains("gzip") && body.length > 1024) {
            ByteArrayOutputStream gz = new ByteArrayOutputStream(body.length / 4 + 64);
            try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
                out.write(body);
            }
            payload = gz.toByteArray();
            ex.getResponseHeaders().set("Content-Encoding", "gzip");
        }
        if ("HEAD".equals(ex.getRequestMethod())) {
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, payload.length == 0 ? -1 : payload.length);
        if (payload.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(payload);
            }
        }
    }
}
