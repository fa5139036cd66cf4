package io.streamebm.pipeline;

import io.streamebm.runtime.NativeBackendUnavailableException;
import io.streamebm.pipeline.cli.BrokerCommand;
import io.streamebm.pipeline.cli.BuildVersion;
import io.streamebm.pipeline.cli.DemoCommand;
import io.streamebm.pipeline.cli.KafkaAccessDenied;
import io.streamebm.pipeline.cli.ProduceCommand;
import io.streamebm.pipeline.cli.ScoreCommand;
import io.streamebm.pipeline.cli.TrainCommand;
import io.streamebm.pipeline.config.UsageError;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code streamebm} command line: {@code demo}, {@code train}, {@code produce},
 * {@code score} and {@code broker}. Exit codes: 0 success, 1 a failure while running, 2 a usage
 * or configuration error, 3 the Kafka cluster refused the command's user (a wrong password, a failed
 * TLS handshake or a missing ACL, see {@link KafkaAccessDenied}; one line, no stack trace), 4 a
 * clean stop that did not finish within {@code shutdown.timeout} after SIGTERM, 5 a fatal JVM error
 * such as an {@link OutOfMemoryError} on any thread (one line, no hang; see {@link FatalErrors}).
 * Errors are reported as messages: a usage error names every wrong value
 * and never shows a stack trace; a failure shows its chain of causes, and its stack trace when the
 * environment variable {@code STREAMEBM_DEBUG} is set.
 */
@Command(name = "streamebm", mixinStandardHelpOptions = true, versionProvider = BuildVersion.class,
        description = "Online training of energy-based models from Kafka streams.",
        subcommands = {DemoCommand.class, TrainCommand.class, ProduceCommand.class, ScoreCommand.class,
            BrokerCommand.class})
public final class StreamEbmCli implements Runnable {

    /** Exit code of a usage or configuration error. */
    public static final int USAGE_ERROR = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Runs the command line and exits with its code. */
    public static void main(String[] args) {
        FatalErrors.install(System.err);
        int code;
        try {
            code = execute(args);
        } catch (Error e) {
            FatalErrors.halt(System.err, Thread.currentThread(), e);
            return;
        }
        if (code == FatalErrors.EXIT_CODE) {
            // Shutdown hooks may need what the fatal error broke; exit without them.
            System.out.flush();
            Runtime.getRuntime().halt(code);
        }
        System.exit(code);
    }

    /** Runs the command line and returns its exit code (for tests). */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new StreamEbmCli());
        try {
            return execute(cli, args);
        } catch (Error e) {
            // Errors bypass picocli's handler; a platform without ND4J natives is the one users meet.
            var nativeFailure = NativeBackendUnavailableException.findIn(e);
            if (nativeFailure.isPresent()) {
                cli.getErr().println("streamebm: " + nativeFailure.get().getMessage());
                return 1;
            }
            throw e;
        }
    }

    private static int execute(CommandLine cli, String... args) {
        cli.setParameterExceptionHandler((e, parsed) -> {
            // One line naming the problem, not the whole usage text it would drown in.
            CommandLine cmd = e.getCommandLine();
            PrintWriter err = cmd.getErr();
            err.println(cmd.getCommandSpec().qualifiedName() + ": " + e.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
            err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for the options.");
            return USAGE_ERROR;
        });
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            var nativeFailure = NativeBackendUnavailableException.findIn(e);
            if (nativeFailure.isPresent()) {
                cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + nativeFailure.get().getMessage());
                return 1;
            }
            Error fatal = FatalErrors.fatalIn(e);
            if (fatal != null) {
                cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": fatal " + fatal.getClass().getSimpleName()
                        + ": " + fatal.getMessage() + "; exiting with code " + FatalErrors.EXIT_CODE);
                return FatalErrors.EXIT_CODE;
            }
            for (Throwable cause = e; cause != null; cause = cause.getCause()) {
                if (cause instanceof UsageError usage) {
                    cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + usage.getMessage());
                    return USAGE_ERROR;
                }
                if (cause instanceof KafkaAccessDenied denied) {
                    cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + denied.getMessage());
                    return KafkaAccessDenied.EXIT_CODE;
                }
            }
            cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + " failed: " + e);
            for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
                cmd.getErr().println("  caused by: " + cause);
            }
            if (System.getenv("STREAMEBM_DEBUG") != null) {
                e.printStackTrace(cmd.getErr());
            } else {
                cmd.getErr().println("  (set STREAMEBM_DEBUG=1 for the stack trace)");
            }
            return 1;
        });
        return cli.execute(args);
    }
}
