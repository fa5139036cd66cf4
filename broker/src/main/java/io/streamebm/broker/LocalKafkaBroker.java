package io.streamebm.broker;

import java.io.IOException;
import java.io.PrintStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A real single-node Kafka broker (KRaft, combined broker and controller) running inside this JVM,
 * for the demo and the tests. No Docker is needed: it is the Kafka server from the Maven artifacts.
 *
 * <p>The broker listens on 127.0.0.1 only. It can be stopped and started again on the same ports and
 * data directory, which is how tests simulate a broker restart. {@link #main(String[])} runs it as a
 * process of its own.
 *
 * <p>{@link #start(SaslSslListener)} adds an authenticated TLS listener with ACLs, for testing the
 * clients against a secured cluster; see {@link SaslSslListener}.
 *
 * <p>Not thread-safe: one owner starts, stops and closes it.
 *
 * <p>Over 400 lines because a broker that tests can trust needs its readiness waits (the quorum
 * after start, every partition serving writes after a topic is created) next to the lifecycle they
 * guard; each is short and says why it is there.
 */
public final class LocalKafkaBroker implements AutoCloseable {

    private final int port;
    private final int controllerPort;
    private final Path dataDir;
    private final boolean ownsDataDir;
    private final Map<String, String> extraProperties;
    private final SaslSslListener secure;
    private final int securePort;
    private KafkaRaftServer server;
    private boolean formatted;

    private LocalKafkaBroker(int port, int controllerPort, Path dataDir, boolean ownsDataDir,
                             Map<String, String> extraProperties, SaslSslListener secure) {
        this.secure = secure;
        this.securePort = secure == null ? -1 : freePort();
        this.port = port;
        this.controllerPort = controllerPort;
        this.dataDir = dataDir;
        this.ownsDataDir = ownsDataDir;
        this.extraProperties = Map.copyOf(extraProperties);
        this.formatted = Files.exists(dataDir.resolve("logs").resolve("meta.properties"));
    }

    /**
     * Starts a broker on free ports in a fresh temporary directory, deleted again by {@link #close()}.
     *
     * @return the running broker
     */
    public static LocalKafkaBroker start() {
        return startInTempDir(freePort(), null);
    }

    /**
     * Starts a broker on free ports in a fresh temporary directory (deleted again by {@link #close()}) with,
     * besides the PLAINTEXT listener, a SASL_SSL listener for {@code listener}'s users and ACL enforcement.
     * No user may do anything until an ACL allows it; create ACLs with {@link #admin()}.
     *
     * @param listener key store and users of the SASL_SSL listener
     * @return the running broker
     */
    public static LocalKafkaBroker start(SaslSslListener listener) {
        return startInTempDir(freePort(), listener);
    }

    /**
     * Starts a broker on a given client port and data directory. The directory is formatted on first
     * use and reused afterwards, so a broker started again on it keeps its topics and offsets.
     *
     * @param port           client (PLAINTEXT) port on 127.0.0.1, or 0 for a free one
     * @param dataDir        data directory, created if missing; never deleted by this class
     * @param extraProperties broker properties that override the defaults (may be empty)
     * @return the running broker
     */
    public static LocalKafkaBroker start(int port, Path dataDir, Map<String, String> extraProperties) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0 (free port) or 1..65535, got " + port);
        }
        LocalKafkaBroker broker = new LocalKafkaBroker(port == 0 ? freePort() : port, freePort(),
                dataDir.toAbsolutePath(), false, extraProperties, null);
        broker.startServer();
        return broker;
    }

    /** @return the bootstrap address, {@code 127.0.0.1:port} */
    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    /**
     * The bootstrap address of the SASL_SSL listener.
     *
     * @return {@code 127.0.0.1:port}
     * @throws IllegalStateException if the broker was started without one
     */
    public String saslSslBootstrapServers() {
        if (secure == null) {
            throw new IllegalStateException("this broker has no SASL_SSL listener");
        }
        return "127.0.0.1:" + securePort;
    }

    /** @return the client port */
    public int port() {
        return port;
    }

    /** @return the data directory (metadata and partition logs live below it) */
    public Path dataDir() {
        return dataDir;
    }

    /** @return whether the broker is currently running */
    public boolean isRunning() {
        return server != null;
    }

    /**
     * Creates a topic with replication factor 1, or does nothing if it already exists, and returns once every
     * partition takes writes (see {@link #createTopic(Admin, String, int, Map)}).
     *
     * @param name       topic name
     * @param partitions number of partitions, at least 1
     */
    public void createTopic(String name, int partitions) {
        createTopic(name, partitions, Map.of());
    }

    /**
     * Creates a topic with replication factor 1 and the given topic configuration (for example
     * {@code cleanup.policy=compact}), or does nothing if it already exists, and returns once every partition
     * takes writes (see {@link #createTopic(Admin, String, int, Map)}).
     *
     * @param name       topic name
     * @param partitions number of partitions, at least 1
     * @param configs    topic configuration
     */
    public void createTopic(String name, int partitions, Map<String, String> configs) {
        try (Admin admin = admin()) {
            createTopic(admin, name, partitions, configs);
        }
    }

    /**
     * Creates a topic with replication factor 1 through {@code admin}, or does nothing if it already exists, and
     * returns once the leader of every partition serves it: a producer may write at once. For a broker this
     * object does not run, such as a {@code LocalKafkaBroker} process of its own.
     *
     * <p>Why not return when the controller acknowledges the topic, or when a leader is listed: the broker
     * publishes a new topic to its metadata cache (what {@code describeTopics} and a producer's metadata request
     * read) before its replica manager has created the partition's log and become its leader. A write in between
     * fails with the retriable {@code NOT_LEADER_OR_FOLLOWER}, and an idempotent producer whose next batch to
     * that partition lands just after it (the broker takes any first sequence number from a producer it has no
     * state for) can never place the first one: it retries it, each time refused as
     * {@code OutOfOrderSequenceException}, until {@code delivery.timeout.ms} expires it, and its records are lost
     * (KAFKA-15591; Kafka 4.5 brokers refuse such a first batch on a partition never written to). A {@code ListOffsets} request passes the same leader check as a write, so this method
     * returns once one has been answered for every partition (the admin client retries it meanwhile).
     *
     * @param admin      an admin client of the broker; not closed
     * @param name       topic name
     * @param partitions number of partitions, at least 1
     * @param configs    topic configuration
     * @throws IllegalStateException if the topic cannot be created, or some partition is not served within 60 s
     */
    public static void createTopic(Admin admin, String name, int partitions, Map<String, String> configs) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1, got " + partitions);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        try {
            try {
                admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1).configs(configs)))
                        .all().get(remainingMillis(deadline), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("cannot create topic " + name, e.getCause());
                }
            }
            TopicDescription description = awaitLeaders(admin, name, deadline);
            awaitServed(admin, description, deadline);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot await the partitions of topic " + name, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topic " + name, e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("topic " + name + " does not take writes on every partition after 60 s", e);
        }
    }

    /** Waits until the broker's metadata lists the topic with a leader for every partition, and returns it. */
    private static TopicDescription awaitLeaders(Admin admin, String name, long deadline)
            throws InterruptedException, ExecutionException, TimeoutException {
        while (true) {
            try {
                TopicDescription description = admin.describeTopics(List.of(name)).allTopicNames()
                        .get(remainingMillis(deadline), TimeUnit.MILLISECONDS).get(name);
                if (description.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty())) {
                    return description;
                }
            } catch (ExecutionException e) {
                // Right after creation the broker's metadata may not list the topic yet: ask again.
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw e;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("topic " + name + " has partitions without a leader");
            }
            Thread.sleep(20);
        }
    }

    /**
     * Waits until the leader of every partition answers a {@code ListOffsets} request, which it refuses (and the
     * admin client retries) until its replica manager leads the partition, exactly as it would refuse a write.
     */
    private static void awaitServed(Admin admin, TopicDescription description, long deadline)
            throws InterruptedException, ExecutionException, TimeoutException {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (TopicPartitionInfo p : description.partitions()) {
            latest.put(new TopicPartition(description.name(), p.partition()), OffsetSpec.latest());
        }
        long millis = remainingMillis(deadline);
        admin.listOffsets(latest, new ListOffsetsOptions().timeoutMs((int) millis))
                .all().get(millis, TimeUnit.MILLISECONDS);
    }

    private static long remainingMillis(long deadlineNanos) {
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    }

    /**
     * Opens an admin client on this broker; the caller closes it.
     *
     * @return a new admin client
     */
    public Admin admin() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        // createTopic waits for a new topic's partitions by letting the admin client retry until their leader
        // serves them, which takes milliseconds on this broker: the default first back-off (100 ms) would be
        // most of each createTopic.
        p.put(AdminClientConfig.RETRY_BACKOFF_MS_CONFIG, 10);
        return Admin.create(p);
    }

    /** Stops the broker cleanly; its data directory and ports are kept for {@link #restart()}. */
    public void stop() {
        if (server != null) {
            KafkaRaftServer s = server;
            server = null;
            s.shutdown();
            s.awaitShutdown();
        }
    }

    /** Starts the broker again on the same ports and data directory after {@link #stop()}. */
    public void restart() {
        if (server == null) {
            startServer();
        }
    }

    /** Stops the broker and deletes its data directory if this class created it. */
    @Override
    public void close() {
        stop();
        if (ownsDataDir) {
            deleteRecursively(dataDir);
        }
    }

    private void startServer() {
        Properties props = BrokerProperties.of(port, controllerPort, dataDir, secure, securePort, extraProperties);
        KafkaConfig config = KafkaConfig.fromProps(props);
        try {
            if (!formatted) {
                Files.createDirectories(dataDir.resolve("logs"));
                new Formatter()
                        .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                        .setNodeId(1)
                        .setClusterId(Uuid.randomUuid().toString())
                        .addDirectory(dataDir.resolve("logs").toString())
                        .setMetadataLogDirectory(config.metadataLogDir())
                        .setControllerListenerName(BrokerProperties.CONTROLLER_LISTENER)
                        .setReleaseVersion(MetadataVersion.latestProduction())
                        .setIgnoreFormatted(true)
                        .run();
                formatted = true;
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot format broker storage in " + dataDir, e);
        }
        KafkaRaftServer s = new KafkaRaftServer(config, Time.SYSTEM);
        s.startup();
        server = s;
        awaitReady();
    }

    /** Startup returns before the broker has joined its own quorum; clients would then see timeouts. */
    private void awaitReady() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            try (Admin admin = admin()) {
                admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
                return;
            } catch (Exception e) {
                last = new IllegalStateException(e);
                try {
                    Thread.sleep(100);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for the broker", ie);
                }
            }
        }
        throw new IllegalStateException("broker on " + bootstrapServers() + " not ready after 60 s", last);
    }

    /**
     * A port on 127.0.0.1 that was free a moment ago: for a broker that must restart on the same
     * address (tests that SIGKILL one), where port 0 would give another port each time.
     *
     * @return the port
     */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on 127.0.0.1", e);
        }
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }

    /**
     * Runs a broker as a process of its own until SIGTERM (or Ctrl-C).
     *
     * <p>Usage: {@code LocalKafkaBroker [--port N] [--data-dir DIR]}. Without {@code --port} a free port is
     * chosen; without {@code --data-dir} a temporary directory is used and deleted at exit. The bootstrap
     * address is printed on standard output, alone on one line, once the broker accepts clients.
     *
     * @param args command-line arguments
     * @throws InterruptedException if interrupted while waiting for the shutdown signal
     */
    public static void main(String[] args) throws InterruptedException {
        int port = 0;
        Path dir = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(requireValue(args, ++i, "--port"));
                case "--data-dir" -> dir = Path.of(requireValue(args, ++i, "--data-dir"));
                case "-h", "--help" -> {
                    System.out.println("usage: LocalKafkaBroker [--port N] [--data-dir DIR]");
                    return;
                }
                default -> {
                    System.err.println("unknown argument " + args[i] + "; usage: LocalKafkaBroker [--port N] [--data-dir DIR]");
                    System.exit(2);
                }
            }
        }
        LocalKafkaBroker broker = dir == null ? startInTempDir(port == 0 ? freePort() : port, null)
                : start(port, dir, Map.of());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            broker.close();
            stopped.countDown();
        }, "local-kafka-broker-shutdown"));
        System.out.println(broker.bootstrapServers());
        System.out.flush();
        stopped.await();
    }

    /** A broker in a fresh temporary directory, which {@link #close()} deletes; {@code secure} may be null. */
    private static LocalKafkaBroker startInTempDir(int port, SaslSslListener secure) {
        try {
            Path tmp = Files.createTempDirectory("streamebm-kafka-");
            LocalKafkaBroker broker = new LocalKafkaBroker(port, freePort(), tmp, true, Map.of(), secure);
            broker.startServer();
            return broker;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary data directory for the broker", e);
        }
    }

    private static String requireValue(String[] args, int i, String flag) {
        if (i >= args.length) {
            System.err.println(flag + " needs a value");
            System.exit(2);
        }
        return args[i];
    }
}
