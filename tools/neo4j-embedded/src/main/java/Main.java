import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.ConnectorPortRegister;
import org.neo4j.configuration.connectors.ConnectorType;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.internal.helpers.HostnamePort;
import org.neo4j.io.ByteUnit;
import org.neo4j.kernel.internal.GraphDatabaseAPI;

/**
 * A real Neo4j 5 database with its Bolt connector, in one JVM, for integration tests.
 *
 * Usage: java -cp target/classes:$(cat target/cp.txt) Main <port> <data-dir>
 *
 * Listens on 127.0.0.1 only, with authentication off: it is a throw-away test server.
 * Port 0 lets the OS pick a free port as Bolt binds it, so no port is guessed beforehand.
 * Prints "READY bolt://127.0.0.1:<port>" with the port Bolt bound once the default database
 * accepts queries.
 * SIGTERM shuts down cleanly (about 10 s: Bolt's network threads drain on a fixed quiet period).
 * When standard input closes the JVM halts at once instead: the parent is done with this
 * throw-away database (or died without stopping it), and nothing in it is worth a checkpoint.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: Main <port|0> <data-dir>");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        Path dir = Path.of(args[1]).toAbsolutePath();

        DatabaseManagementServiceBuilder builder = new DatabaseManagementServiceBuilder(dir)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(GraphDatabaseSettings.auth_enabled, false)
                // Small footprint: tests hold a few thousand nodes, and CI machines are shared.
                .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(64))
                .setConfig(GraphDatabaseSettings.keep_logical_logs, "false");
        if (port != 0) {
            // with port 0 the advertised port is unknown before the bind; bolt:// clients never read it
            builder.setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", port));
        }
        DatabaseManagementService dbms = builder.build();

        Thread shutdown = new Thread(dbms::shutdown, "neo4j-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdown);

        GraphDatabaseService db = dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        if (!db.isAvailable(Duration.ofSeconds(60).toMillis())) {
            System.err.println("default database did not become available within 60 s");
            System.exit(1);
        }
        // the port Bolt actually bound (the one asked for, or the OS's pick for port 0)
        HostnamePort bound = ((GraphDatabaseAPI) db).getDependencyResolver()
                .resolveDependency(ConnectorPortRegister.class)
                .getLocalAddress(ConnectorType.BOLT);
        if (bound == null || bound.getPort() <= 0) {
            System.err.println("the Bolt connector reports no bound port");
            System.exit(1);
        }
        System.out.println("READY bolt://127.0.0.1:" + bound.getPort());
        System.out.flush();

        watchStdin();
    }

    /** Halts, skipping the shutdown hook, when the parent closes our standard input. */
    private static void watchStdin() {
        Thread t = new Thread(() -> {
            InputStream in = System.in;
            try {
                while (in.read() != -1) {
                    // ignore input; only its end matters
                }
            } catch (IOException ignored) {
                // a broken pipe means the parent is gone too
            }
            Runtime.getRuntime().halt(0);
        }, "stdin-watch");
        t.setDaemon(false);
        t.start();
    }
}
