package io.streamebm.pipeline;

import io.streamebm.core.NativeBackendUnavailableException;
import io.streamebm.pipeline.cli.BrokerCommand;
import io.streamebm.pipeline.cli.DemoCommand;
import io.streamebm.pipeline.cli.ProduceCommand;
import io.streamebm.pipeline.cli.ScoreCommand;
import io.streamebm.pipeline.cli.TrainCommand;
import io.streamebm.pipeline.config.ConfigException;
import io.streamebm.pipeline.train.IncompatibleCheckpointException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code streamebm} command line: {@code demo}, {@code train}, {@code produce},
 * {@code score} and {@code broker}. Exit codes: 0 success, 1 a failure while running, 2 a usage
 * or configuration error (the message names every wrong value).
 */
@Command(name = "streamebm", mixinStandardHelpOptions = true, version = "StreamEBM 0.1.0",
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
        System.exit(execute(args));
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
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            var nativeFailure = NativeBackendUnavailableException.findIn(e);
            if (nativeFailure.isPresent()) {
                cmd.getErr().println("streamebm " + cmd.getCommandName() + ": " + nativeFailure.get().getMessage());
                return 1;
            }
            Throwable cause = e;
            while (cause.getCause() != null && !(cause instanceof ConfigException)
                    && !(cause instanceof IncompatibleCheckpointException)) {
                cause = cause.getCause();
            }
            if (cause instanceof ConfigException || cause instanceof IncompatibleCheckpointException) {
                cmd.getErr().println("streamebm " + cmd.getCommandName() + ": " + cause.getMessage());
                return USAGE_ERROR;
            }
            cmd.getErr().println("streamebm " + cmd.getCommandName() + " failed: " + e);
            e.printStackTrace(cmd.getErr());
            return 1;
        });
        return cli.execute(args);
    }
}
