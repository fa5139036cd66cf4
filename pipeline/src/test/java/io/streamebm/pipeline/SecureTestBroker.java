package io.streamebm.pipeline;

import io.streamebm.broker.LocalKafkaBroker;
import io.streamebm.broker.SaslSslListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * A {@link LocalKafkaBroker} with a SASL_SSL listener and ACLs, as a secured production cluster
 * would be: a self-signed certificate generated with {@code keytool} for this run only (never
 * committed), SASL/PLAIN users, and helpers to grant ACLs and to write each user's client
 * properties for {@code --command-config}.
 */
public final class SecureTestBroker implements AutoCloseable {

    private final Path dir;
    private final LocalKafkaBroker broker;
    private final Path trustStore;
    private final Path caPem;
    private final String storePassword;

    private SecureTestBroker(Path dir, LocalKafkaBroker broker, Path trustStore, Path caPem, String storePassword) {
        this.dir = dir;
        this.broker = broker;
        this.trustStore = trustStore;
        this.caPem = caPem;
        this.storePassword = storePassword;
    }

    /**
     * Generates the certificate in {@code dir} and starts the broker.
     *
     * @param dir   where the key store, trust store and client property files go
     * @param users SASL/PLAIN users and their passwords
     */
    public static SecureTestBroker start(Path dir, Map<String, String> users) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        String storePassword = UUID.randomUUID().toString();
        Path keyStore = dir.resolve("broker.p12");
        Path caPem = dir.resolve("ca.pem");
        Path trustStore = dir.resolve("truststore.p12");
        // The broker certificate signs itself and is the clients' only trust anchor; its SAN names
        // 127.0.0.1 because the clients verify the host name they connect to.
        keytool("-genkeypair", "-alias", "broker", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-dname", "CN=localhost", "-ext", "SAN=ip:127.0.0.1,dns:localhost",
                "-keystore", keyStore.toString(), "-storetype", "PKCS12", "-storepass", storePassword,
                "-keypass", storePassword);
        keytool("-exportcert", "-rfc", "-alias", "broker", "-keystore", keyStore.toString(),
                "-storepass", storePassword, "-file", caPem.toString());
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", caPem.toString(),
                "-keystore", trustStore.toString(), "-storetype", "PKCS12", "-storepass", storePassword);
        LocalKafkaBroker broker = LocalKafkaBroker.start(new SaslSslListener(keyStore, storePassword, users));
        return new SecureTestBroker(dir, broker, trustStore, caPem, storePassword);
    }

    /** The broker; its PLAINTEXT listener and {@link LocalKafkaBroker#admin()} act as super user. */
    public LocalKafkaBroker broker() {
        return broker;
    }

    /** The SASL_SSL bootstrap address. */
    public String bootstrapServers() {
        return broker.saslSslBootstrapServers();
    }

    /** The broker certificate in PEM, the trust anchor for kcat's {@code ssl.ca.location}. */
    public Path caPem() {
        return caPem;
    }

    /**
     * Writes the client properties of {@code user} (for {@code --command-config}) and returns the file.
     *
     * @param password the password to log in with, right or wrong
     */
    public Path clientConfig(String user, String password) throws IOException {
        Path file = dir.resolve(user + "-" + UUID.randomUUID() + ".properties");
        Files.writeString(file, String.join("\n",
                "security.protocol=SASL_SSL",
                "sasl.mechanism=PLAIN",
                "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                        + user + "\" password=\"" + password + "\";",
                "ssl.truststore.type=PKCS12",
                "ssl.truststore.location=" + trustStore,
                "ssl.truststore.password=" + storePassword,
                ""));
        return file;
    }

    /**
     * Allows {@code user} the given operations on one resource.
     *
     * @param pattern {@link PatternType#LITERAL} or {@link PatternType#PREFIXED}
     */
    public void allow(String user, ResourceType type, String name, PatternType pattern, AclOperation... operations)
            throws Exception {
        List<AclBinding> bindings = new ArrayList<>();
        for (AclOperation op : operations) {
            bindings.add(new AclBinding(new ResourcePattern(type, name, pattern),
                    new AccessControlEntry("User:" + user, "*", op, AclPermissionType.ALLOW)));
        }
        try (Admin admin = broker.admin()) {
            admin.createAcls(bindings).all().get(30, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() {
        broker.close();
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(Arrays.asList(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(1, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IOException("keytool " + args[0] + " failed: " + output);
        }
    }
}
