package io.streamebm.broker;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The server configuration of a {@link LocalKafkaBroker}: one KRaft node that is both broker and
 * controller, on loopback, with every replication setting at 1 and, optionally, a SASL_SSL listener
 * with ACL enforcement.
 */
final class BrokerProperties {

    /** The name of the controller listener, which storage formatting must be told as well. */
    static final String CONTROLLER_LISTENER = "CONTROLLER";

    private BrokerProperties() {
    }

    /**
     * @param port            PLAINTEXT client port on 127.0.0.1
     * @param controllerPort  controller port on 127.0.0.1
     * @param dataDir         data directory; the partition logs go to its {@code logs} sub-directory
     * @param secure          the SASL_SSL listener, or null for none
     * @param securePort      the SASL_SSL listener's port (ignored without one)
     * @param extraProperties properties that override everything above
     * @return the broker's properties
     */
    static Properties of(int port, int controllerPort, Path dataDir, SaslSslListener secure, int securePort,
                         Map<String, String> extraProperties) {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + port + "," + CONTROLLER_LISTENER + "://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        p.put("controller.listener.names", CONTROLLER_LISTENER);
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("log.dirs", dataDir.resolve("logs").toString());
        p.put("num.partitions", "1");
        p.put("default.replication.factor", "1");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "5");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        // The default dedupe buffer takes 128 MiB of heap, far too much beside a 1 GiB test JVM.
        p.put("log.cleaner.dedupe.buffer.size", "2097152");
        p.put("auto.create.topics.enable", "true");
        if (secure != null) {
            addSaslSsl(p, secure, securePort);
        }
        p.putAll(extraProperties);
        return p;
    }

    /** The SASL_SSL listener, its JAAS and TLS settings, and ACL enforcement. */
    private static void addSaslSsl(Properties p, SaslSslListener secure, int securePort) {
        String name = SaslSslListener.NAME;
        String prefix = "listener.name." + name.toLowerCase(Locale.ROOT) + ".";
        p.put("listeners", p.getProperty("listeners") + "," + name + "://127.0.0.1:" + securePort);
        p.put("advertised.listeners", p.getProperty("advertised.listeners") + "," + name + "://127.0.0.1:" + securePort);
        p.put("listener.security.protocol.map", p.getProperty("listener.security.protocol.map") + "," + name + ":SASL_SSL");
        p.put("sasl.enabled.mechanisms", "PLAIN");
        p.put(prefix + "sasl.enabled.mechanisms", "PLAIN");
        p.put(prefix + "plain.sasl.jaas.config", secure.jaasConfig());
        p.put(prefix + "ssl.keystore.type", "PKCS12");
        p.put(prefix + "ssl.keystore.location", secure.keyStore().toAbsolutePath().toString());
        p.put(prefix + "ssl.keystore.password", secure.keyStorePassword());
        p.put(prefix + "ssl.key.password", secure.keyStorePassword());
        p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        // The loopback PLAINTEXT and controller listeners authenticate nobody: their principal is the
        // broker itself (inter-broker and controller traffic) and the local administrator.
        p.put("super.users", "User:ANONYMOUS");
        p.put("allow.everyone.if.no.acl.found", "false");
    }
}
