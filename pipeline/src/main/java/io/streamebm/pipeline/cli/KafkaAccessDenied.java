package io.streamebm.pipeline.cli;

import io.streamebm.pipeline.config.PipelineConfig;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;

/**
 * The Kafka cluster refused this command's credentials or permissions: a wrong password, a TLS
 * handshake that failed, or a missing ACL. Such a failure is the operator's to fix, never a bug, so
 * the command line reports it as one line naming the user and what was refused (the topic or the
 * group), without a stack trace, and exits with {@link #EXIT_CODE}.
 *
 * <p>The Kafka clients raise these errors wherever they first meet them (a consumer's poll, a
 * producer's send, an admin call) and the jobs pass them on wrapped in their own exceptions;
 * {@link #translate} finds them anywhere in the chain of causes.
 */
public final class KafkaAccessDenied extends RuntimeException {

    /** Exit code of a command the cluster refused. */
    public static final int EXIT_CODE = 3;

    private static final Pattern USER = Pattern.compile("username\\s*=\\s*\"([^\"]*)\"");

    private KafkaAccessDenied(String message, Throwable cause) {
        // No stack trace: the message is the whole report.
        super(message, cause, false, false);
    }

    /**
     * Runs {@code body}; a Kafka authentication or authorization failure anywhere in what it throws
     * becomes a {@code KafkaAccessDenied}, anything else passes unchanged.
     *
     * @param config the command's configuration, which names the SASL user
     */
    static <T> T translate(PipelineConfig config, Callable<T> body) throws Exception {
        try {
            return body.call();
        } catch (Exception e) {
            Optional<KafkaAccessDenied> denied = find(e, user(config), config.string("kafka.bootstrap-servers"));
            if (denied.isPresent()) {
                throw denied.get();
            }
            throw e;
        }
    }

    /** The access failure in {@code e}'s chain of causes, described for {@code user}, if there is one. */
    static Optional<KafkaAccessDenied> find(Throwable e, String user, String bootstrapServers) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            String message = describe(c, user, bootstrapServers);
            if (message != null) {
                return Optional.of(new KafkaAccessDenied(message, c));
            }
        }
        return Optional.empty();
    }

    private static String describe(Throwable c, String user, String bootstrapServers) {
        if (c instanceof SslAuthenticationException) {
            return "TLS handshake with " + bootstrapServers + " failed (check ssl.truststore.* in --command-config): "
                    + c.getMessage();
        }
        if (c instanceof AuthenticationException) {
            return "authentication failed for user '" + user + "' at " + bootstrapServers + ": " + c.getMessage();
        }
        if (c instanceof TopicAuthorizationException t) {
            String topics = t.unauthorizedTopics().isEmpty() ? "(not named by the broker)"
                    : String.join(", ", new java.util.TreeSet<>(t.unauthorizedTopics()));
            return "user '" + user + "' may not use topic " + topics + ": no ACL allows it";
        }
        if (c instanceof GroupAuthorizationException g) {
            String group = g.groupId() == null ? "(not named by the broker)" : g.groupId();
            return "user '" + user + "' may not use group " + group + ": no ACL allows it";
        }
        if (c instanceof TransactionalIdAuthorizationException) {
            return "user '" + user + "' may not use its transactional id: no ACL allows it";
        }
        if (c instanceof AuthorizationException) {
            return "user '" + user + "' is not authorized: " + c.getMessage();
        }
        return null;
    }

    /** The SASL user name from the clients' JAAS configuration (never the password). */
    static String user(PipelineConfig config) {
        for (String prefix : new String[] {PipelineConfig.CONSUMER_PREFIX, PipelineConfig.PRODUCER_PREFIX}) {
            String jaas = config.clientProperties(prefix).get("sasl.jaas.config");
            if (jaas != null) {
                Matcher m = USER.matcher(jaas);
                if (m.find()) {
                    return m.group(1);
                }
            }
        }
        return "(none configured)";
    }
}
