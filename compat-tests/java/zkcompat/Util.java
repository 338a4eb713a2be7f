package zkcompat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

/**
 * Helpers shared by the compatibility programs: result lines on stdout, checks that make the
 * program exit non-zero, Stat/session normalization, a watchdog, and a loopback TCP proxy that
 * can be frozen to make a session expire for real (the server stops hearing pings).
 */
public final class Util {
  private Util() {}

  private static final AtomicInteger failures = new AtomicInteger();
  private static final Map<Long, String> sessionNames = new ConcurrentHashMap<>();

  /** One deterministic result line. */
  public static synchronized void out(String line) {
    System.out.println(line);
    System.out.flush();
  }

  /** A failed check prints FAIL and makes finish() exit 1; the line is part of the output. */
  public static boolean check(boolean ok, String what) {
    if (!ok) {
      failures.incrementAndGet();
      out("FAIL " + what);
    }
    return ok;
  }

  public static int failureCount() {
    return failures.get();
  }

  /** Prints OK/FAILED and exits: 0 when every check held. */
  public static void finish() {
    out(failures.get() == 0 ? "OK" : "FAILED " + failures.get());
    System.out.flush();
    System.err.flush();
    Runtime.getRuntime().halt(failures.get() == 0 ? 0 : 1);
  }

  /** Kills the program (exit 3) if it runs longer than seconds. */
  public static void watchdog(int seconds) {
    Thread t = new Thread(() -> {
      try {
        Thread.sleep(seconds * 1000L);
      } catch (InterruptedException e) {
        return;
      }
      out("FAIL watchdog: still running after " + seconds + " s");
      Thread.getAllStackTraces().forEach((th, st) -> {
        System.err.println("thread " + th.getName());
        for (StackTraceElement e : st) System.err.println("    at " + e);
      });
      System.out.flush();
      System.err.flush();
      Runtime.getRuntime().halt(3);
    }, "watchdog");
    t.setDaemon(true);
    t.start();
  }

  public static void nameSession(long sessionId, String name) {
    sessionNames.put(sessionId, name);
  }

  public static String owner(long ephemeralOwner) {
    if (ephemeralOwner == 0) return "0";
    String n = sessionNames.get(ephemeralOwner);
    return n != null ? "session:" + n : "0x" + Long.toHexString(ephemeralOwner);
  }

  /**
   * Stat with times reduced to presence and to how mtime relates to ctime (equal when the node was
   * never modified, not earlier otherwise: two writes may share a millisecond), sessions to names.
   */
  public static String stat(Stat s) {
    if (s == null) return "null";
    String order = s.getMzxid() == s.getCzxid()
        ? (s.getMtime() == s.getCtime() ? "=c" : "!=c")
        : (s.getMtime() >= s.getCtime() ? ">=c" : "<c");
    String times = (s.getCtime() > 0 ? "T" : String.valueOf(s.getCtime())) + "/" + order;
    return "{czxid=" + s.getCzxid() + " mzxid=" + s.getMzxid() + " pzxid=" + s.getPzxid()
        + " time=" + times + " ver=" + s.getVersion() + " cver=" + s.getCversion()
        + " aver=" + s.getAversion() + " eph=" + owner(s.getEphemeralOwner())
        + " len=" + s.getDataLength() + " nc=" + s.getNumChildren() + "}";
  }

  /** Stat without zxids (for programs whose zxids depend on concurrency). */
  public static String shape(Stat s) {
    if (s == null) return "null";
    return "{ver=" + s.getVersion() + " aver=" + s.getAversion() + " eph="
        + (s.getEphemeralOwner() == 0 ? "0" : "set") + " len=" + s.getDataLength()
        + " nc=" + s.getNumChildren() + "}";
  }

  public static String str(byte[] b) {
    return b == null ? "null" : "'" + new String(b, java.nio.charset.StandardCharsets.UTF_8) + "'";
  }

  public static byte[] bytes(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  public static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Polls cond every 20 ms for up to ms; true when it held. */
  public static boolean await(long ms, BooleanSupplier cond) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    while (System.nanoTime() < deadline) {
      if (cond.getAsBoolean()) return true;
      sleep(20);
    }
    return cond.getAsBoolean();
  }

  /** Connects a ZooKeeper handle and waits for SyncConnected. */
  public static ZooKeeper connect(String cs, int timeoutMs, org.apache.zookeeper.Watcher w)
      throws IOException, InterruptedException {
    CountDownLatch connected = new CountDownLatch(1);
    ZooKeeper zk = new ZooKeeper(cs, timeoutMs, ev -> {
      if (ev.getState() == org.apache.zookeeper.Watcher.Event.KeeperState.SyncConnected
          && ev.getType() == org.apache.zookeeper.Watcher.Event.EventType.None) {
        connected.countDown();
      }
      if (w != null) w.process(ev);
    });
    if (!connected.await(15, TimeUnit.SECONDS)) throw new IOException("not connected to " + cs);
    return zk;
  }

  /**
   * A loopback TCP forwarder in front of the server. freeze() drops the link without the server
   * or the client seeing a close: bytes are swallowed, the server's side is closed (a lost network
   * looks like that to the server once the OS notices), and new connections are refused; so the
   * session expires on the server while the client only sees silence. thaw() forwards again.
   */
  public static final class Proxy implements AutoCloseable {
    private final ServerSocket listener;
    private final InetSocketAddress target;
    private volatile boolean frozen;
    private volatile boolean closed;
    private final List<Socket[]> links = new ArrayList<>();

    public Proxy(String connectString) throws IOException {
      String[] hp = connectString.split(",")[0].split(":");
      target = new InetSocketAddress(hp[0], Integer.parseInt(hp[1]));
      listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      Thread t = new Thread(this::acceptLoop, "proxy-accept");
      t.setDaemon(true);
      t.start();
    }

    public String connectString() {
      return "127.0.0.1:" + listener.getLocalPort();
    }

    private void acceptLoop() {
      while (!closed) {
        Socket c;
        try {
          c = listener.accept();
        } catch (IOException e) {
          return;
        }
        if (frozen) {
          quietClose(c);
          continue;
        }
        try {
          Socket s = new Socket();
          s.connect(target, 5000);
          Socket[] link = {c, s};
          synchronized (links) {
            links.add(link);
          }
          pump(c, s, link);
          pump(s, c, link);
        } catch (IOException e) {
          quietClose(c);
        }
      }
    }

    private void pump(Socket from, Socket to, Socket[] link) {
      Thread t = new Thread(() -> {
        byte[] buf = new byte[65536];
        try {
          InputStream in = from.getInputStream();
          OutputStream out = to.getOutputStream();
          int n;
          while ((n = in.read(buf)) >= 0) {
            if (frozen) continue; // swallowed
            out.write(buf, 0, n);
            out.flush();
          }
        } catch (IOException e) {
          // link gone
        }
        if (!frozen) {
          quietClose(link[0]);
          quietClose(link[1]);
        }
      }, "proxy-pump");
      t.setDaemon(true);
      t.start();
    }

    /** Stops forwarding: client sockets stay open but silent, server sockets are closed. */
    public void freeze() {
      frozen = true;
      synchronized (links) {
        for (Socket[] l : links) quietClose(l[1]);
      }
    }

    /** Drops every client link (the client sees a close and reconnects) and forwards again. */
    public void thaw() {
      synchronized (links) {
        for (Socket[] l : links) {
          quietClose(l[0]);
          quietClose(l[1]);
        }
        links.clear();
      }
      frozen = false;
    }

    @Override
    public void close() {
      closed = true;
      quietClose(listener);
      synchronized (links) {
        for (Socket[] l : links) {
          quietClose(l[0]);
          quietClose(l[1]);
        }
        links.clear();
      }
    }

    private static void quietClose(AutoCloseable c) {
      try {
        c.close();
      } catch (Exception e) {
        // ignore
      }
    }
  }
}
