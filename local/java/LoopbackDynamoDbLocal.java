/*
 * Starts DynamoDB Local exactly as its own main class does, with two differences local mode needs:
 *
 * 1. It listens on one address (127.0.0.1 unless the system property `dynamodbLocal.host` says
 *    otherwise). DynamoDB Local has no option for it: its Jetty server is built with a port alone,
 *    which answers on every interface, so the tables (phone numbers included) would be readable
 *    from the network. The connector's host is set before the server starts.
 * 2. It stops when the process that started it is gone (checked every second), so that a
 *    `kill -9` of local mode does not leave a 250 MB emulator running until the next start.
 *
 * Run from source (`java -cp DynamoDBLocal.jar LoopbackDynamoDbLocal.java <DynamoDB Local's
 * arguments>`): Java 11 and later compile a single source file on launch, so nothing is built
 * or shipped besides this file.
 */
import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

public class LoopbackDynamoDbLocal {
  public static void main(String[] args) throws Exception {
    String host = System.getProperty("dynamodbLocal.host", "127.0.0.1");
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    int bound = 0;
    for (Connector connector : server.getConnectors()) {
      if (connector instanceof ServerConnector) {
        ((ServerConnector) connector).setHost(host);
        bound++;
      }
    }
    if (bound == 0) {
      // Never fall back to every interface: refuse to start instead.
      System.err.println("DynamoDB Local has no connector whose address can be set; not starting");
      System.exit(2);
    }
    long parent = ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L);
    Thread watchdog = new Thread(() -> {
      while (true) {
        try {
          Thread.sleep(1000);
        } catch (InterruptedException e) {
          return;
        }
        boolean alive = parent > 0 && ProcessHandle.of(parent).map(ProcessHandle::isAlive).orElse(false);
        if (!alive) {
          System.err.println("The process that started DynamoDB Local is gone; stopping");
          try {
            proxy.stop();
          } catch (Exception ignored) {
            // Exiting anyway.
          }
          System.exit(0);
        }
      }
    }, "parent-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    proxy.start();
  }
}
