package io.streamebm.broker;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * A second, authenticated client listener for {@link LocalKafkaBroker}: TLS with the broker certificate
 * from a PKCS12 key store, and SASL/PLAIN with a fixed set of users. It lets tests drive the clients
 * exactly as they would run against a secured production cluster.
 *
 * <p>With this listener the broker also enforces ACLs (Kafka's {@code StandardAuthorizer}); a user
 * may do only what an ACL grants. The PLAINTEXT listener and the controller listener stay on
 * loopback and act as the broker's own super user ({@code User:ANONYMOUS}), which is how
 * {@link LocalKafkaBroker#admin()} creates topics and ACLs.
 *
 * @param keyStore         PKCS12 key store holding the broker's private key and certificate (valid for
 *                         127.0.0.1, since clients verify the host name)
 * @param keyStorePassword password of the key store and of its key
 * @param users            SASL/PLAIN user names and their passwords; at least one. Neither may contain
 *                         {@code "} or {@code \}, which the broker's JAAS syntax would need escaped
 */
public record SaslSslListener(Path keyStore, String keyStorePassword, Map<String, String> users) {

    /** Validates and copies the arguments. */
    public SaslSslListener {
        Objects.requireNonNull(keyStore, "keyStore");
        Objects.requireNonNull(keyStorePassword, "keyStorePassword");
        users = Map.copyOf(users);
        if (users.isEmpty()) {
            throw new IllegalArgumentException("a SASL_SSL listener needs at least one user");
        }
        users.forEach((user, password) -> {
            if (!plain(user) || !plain(password) || user.isEmpty()) {
                throw new IllegalArgumentException("user names and passwords must be non-empty and contain neither"
                        + " '\"' nor '\\': user " + user);
            }
        });
    }

    /** The listener name used in the broker's configuration. */
    static final String NAME = "SASL_SSL";

    /** The broker's JAAS entry for this listener: one {@code user_NAME="PASSWORD"} option per user. */
    String jaasConfig() {
        StringBuilder b = new StringBuilder("org.apache.kafka.common.security.plain.PlainLoginModule required");
        users.forEach((user, password) -> b.append(" user_").append(user).append("=\"").append(password).append('"'));
        return b.append(';').toString();
    }

    private static boolean plain(String s) {
        return s.indexOf('"') < 0 && s.indexOf('\\') < 0;
    }

    /** Hides the passwords, which a record would otherwise print. */
    @Override
    public String toString() {
        return "SaslSslListener[keyStore=" + keyStore + ", users=" + users.keySet() + "]";
    }
}
