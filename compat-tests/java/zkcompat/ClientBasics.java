package zkcompat;

import static zkcompat.Util.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.Transaction;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.Watcher.WatcherType;
import org.apache.zookeeper.ZooDefs.Ids;
import org.apache.zookeeper.ZooDefs.Perms;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.admin.ZooKeeperAdmin;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.ClientInfo;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.data.Stat;

/**
 * The plain Java client (org.apache.zookeeper.ZooKeeper 3.8) against one server: every API call,
 * sync and async, with results printed in a normalized form. Run on a fresh server (zxids are
 * printed as they are) started with extended types on and a short container check interval.
 *
 * Usage: ClientBasics host:port
 */
public final class ClientBasics {
  interface Call<T> {
    T run() throws Exception;
  }

  interface Fmt<T> {
    String of(T t);
  }

  static final LinkedBlockingQueue<String> events = new LinkedBlockingQueue<>();
  static final List<ACL> OPEN = Ids.OPEN_ACL_UNSAFE;
  static String cs;
  static String manyWatchPrefix;

  /**
   * A watcher that queues "name Type State path". The Java client hands connection state changes
   * (type None) to every watcher it holds, in HashSet order; only the default watchers (upper-case
   * names: one per handle) record those.
   */
  static Watcher w(String name) {
    boolean isDefault = Character.isUpperCase(name.charAt(0));
    return ev -> {
      if (ev.getType() == Watcher.Event.EventType.None && !isDefault) return;
      String p = ev.getPath() == null ? null : ev.getPath().replaceAll("w{20,}", "w...w");
      events.add(name + " " + ev.getType() + " " + ev.getState() + " " + p);
    };
  }

  /** Runs a call; prints "label = result" or "label -> ERRORCODE". */
  static <T> T r(String label, Call<T> c, Fmt<T> f) {
    try {
      T v = c.run();
      out(label + " = " + f.of(v));
      return v;
    } catch (KeeperException e) {
      out(label + " -> " + e.code() + (e.getResults() != null ? " " + results(e.getResults()) : ""));
      return null;
    } catch (Exception e) {
      out(label + " -> " + e.getClass().getSimpleName());
      return null;
    }
  }

  static <T> T r(String label, Call<T> c) {
    return r(label, c, String::valueOf);
  }

  static void v(String label, Call<Void> c) {
    r(label, c, x -> "ok");
  }

  /**
   * Waits for n events and prints them in arrival order, or sorted when their order is racy (events
   * of different connections). Within arrival order, the watchers one notification fires are called
   * in Java HashSet order (identity hashes), so runs of the same notification are sorted by name.
   */
  static void expect(int n, boolean sorted) throws InterruptedException {
    List<String> got = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String e = events.poll(15, TimeUnit.SECONDS);
      if (e == null) {
        check(false, "expected " + n + " events, got " + got);
        break;
      }
      got.add(e);
    }
    print(got, sorted);
  }

  static void print(List<String> got, boolean sorted) {
    if (sorted) {
      Collections.sort(got);
    } else {
      int i = 0;
      while (i < got.size()) {
        String key = got.get(i).substring(got.get(i).indexOf(' '));
        int j = i + 1;
        while (j < got.size() && got.get(j).substring(got.get(j).indexOf(' ')).equals(key)) j++;
        Collections.sort(got.subList(i, j));
        i = j;
      }
    }
    for (String e : got) out("  event " + e);
  }

  static void expect(int n) throws InterruptedException {
    expect(n, false);
  }

  /** Prints (sorted) any event that arrives within ms of the previous one; there should be none. */
  static void quiet(long ms) throws InterruptedException {
    List<String> got = new ArrayList<>();
    String e;
    while ((e = events.poll(ms, TimeUnit.MILLISECONDS)) != null) got.add(e);
    Collections.sort(got);
    for (String x : got) out("  extra event " + x);
  }

  static String acls(List<ACL> l) {
    return l.stream().map(a -> a.getPerms() + ":" + a.getId().getScheme() + ":" + a.getId().getId())
        .collect(Collectors.toList()).toString();
  }

  static String op(OpResult r) {
    if (r instanceof OpResult.CreateResult) {
      OpResult.CreateResult c = (OpResult.CreateResult) r;
      return "create " + c.getPath() + (c.getStat() != null ? " " + stat(c.getStat()) : "");
    }
    if (r instanceof OpResult.SetDataResult) return "setData " + stat(((OpResult.SetDataResult) r).getStat());
    if (r instanceof OpResult.DeleteResult) return "delete";
    if (r instanceof OpResult.CheckResult) return "check";
    if (r instanceof OpResult.ErrorResult) return "error " + Code.get(((OpResult.ErrorResult) r).getErr());
    if (r instanceof OpResult.GetDataResult) {
      OpResult.GetDataResult g = (OpResult.GetDataResult) r;
      return "getData " + str(g.getData()) + " " + stat(g.getStat());
    }
    if (r instanceof OpResult.GetChildrenResult) return "getChildren " + ((OpResult.GetChildrenResult) r).getChildren();
    return r.getClass().getSimpleName() + " type=" + r.getType();
  }

  static String results(List<OpResult> l) {
    return l == null ? "null" : l.stream().map(ClientBasics::op).collect(Collectors.toList()).toString();
  }

  static String who(List<ClientInfo> l) {
    return l.stream().map(c -> c.getAuthScheme() + ":" + c.getUser()).collect(Collectors.toList()).toString();
  }

  public static void main(String[] args) throws Exception {
    watchdog(100);
    cs = args[0];

    out("== connect: negotiated session timeout, password");
    ZooKeeper a = connect(cs, 10000, w("A"));
    nameSession(a.getSessionId(), "A");
    expect(1);
    out("timeout=" + a.getSessionTimeout() + " passwdLen=" + a.getSessionPasswd().length + " state=" + a.getState());
    {
      CountDownLatch ro = new CountDownLatch(1);
      ZooKeeper t = new ZooKeeper(cs, 10000, ev -> {
        if (ev.getType() == Watcher.Event.EventType.None && ro.getCount() > 0) {
          out("canBeReadOnly client event " + ev.getState());
          ro.countDown();
        }
      }, true);
      check(ro.await(15, TimeUnit.SECONDS), "canBeReadOnly client connects");
      out("canBeReadOnly client state=" + t.getState());
      t.close();
    }
    // The client's connect timeout is the asked session timeout: a very small one under load makes
    // it give up and retry, leaving an extra session (two txns) on the server.
    for (int asked : new int[] {999, 1500, 60000}) {
      ZooKeeper t = connect(cs, asked, null);
      out("asked " + asked + " negotiated " + t.getSessionTimeout());
      t.close();
    }

    out("== create/create2 with PERSISTENT, PERSISTENT_SEQUENTIAL, EPHEMERAL, EPHEMERAL_SEQUENTIAL, CONTAINER (deleted by the container manager); errors");
    r("create /b", () -> a.create("/b", bytes("root"), OPEN, CreateMode.PERSISTENT));
    Stat st = new Stat();
    r("create2 /b/p", () -> a.create("/b/p", bytes("p0"), OPEN, CreateMode.PERSISTENT, st));
    out("  stat " + stat(st));
    r("create /b/ps- seq", () -> a.create("/b/ps-", bytes("s"), OPEN, CreateMode.PERSISTENT_SEQUENTIAL));
    r("create2 /b/ps- seq", () -> a.create("/b/ps-", null, OPEN, CreateMode.PERSISTENT_SEQUENTIAL, st));
    out("  stat " + stat(st));
    r("create /b/p again", () -> a.create("/b/p", null, OPEN, CreateMode.PERSISTENT));
    r("create /b/missing/x", () -> a.create("/b/missing/x", null, OPEN, CreateMode.PERSISTENT));
    r("create2 /b/e ephemeral", () -> a.create("/b/e", bytes("eph"), OPEN, CreateMode.EPHEMERAL, st));
    out("  stat " + stat(st));
    r("create /b/es- ephemeral seq", () -> a.create("/b/es-", null, OPEN, CreateMode.EPHEMERAL_SEQUENTIAL));
    r("create /b/e/child", () -> a.create("/b/e/child", null, OPEN, CreateMode.PERSISTENT));
    r("create /b/es-0000000004/child", () -> a.create("/b/es-0000000004/child", null, OPEN, CreateMode.EPHEMERAL));
    r("create2 /b/c container", () -> a.create("/b/c", bytes("cont"), OPEN, CreateMode.CONTAINER, st));
    out("  stat " + stat(st));
    r("create2 /b/c2 container (never has children)", () -> a.create("/b/c2", null, OPEN, CreateMode.CONTAINER, st));
    r("create /b/c/x", () -> a.create("/b/c/x", null, OPEN, CreateMode.PERSISTENT));
    r("exists /b/c watch", () -> a.exists("/b/c", w("cw")), Util::stat);
    v("delete /b/c/x", () -> { a.delete("/b/c/x", -1); return null; });
    out("  (waiting for the container manager)");
    expect(1);
    r("exists /b/c", () -> a.exists("/b/c", false), Util::stat);

    r("create /b/u", () -> a.create("/b/u", null, OPEN, CreateMode.PERSISTENT));
    for (String name : new String[] {"\u00fc", "\u65e5\u672c", "\ud83d\ude00x", "a b", "\u03a91", "z", "A", "caf\u00e9", "\u0000x"}) {
      r("create unicode child", () -> a.create("/b/u/" + name, bytes(name), OPEN, CreateMode.PERSISTENT),
          x -> x.codePoints().mapToObj(Integer::toHexString).collect(Collectors.joining(",")));
    }
    r("getChildren /b/u (raw order)", () -> a.getChildren("/b/u", false),
        l -> l.stream().map(x -> x.codePoints().mapToObj(Integer::toHexString).collect(Collectors.joining(","))).collect(Collectors.toList()).toString());
    r("getData /b/u/\u65e5\u672c", () -> a.getData("/b/u/\u65e5\u672c", false, null), x -> x.length + " bytes " + str(x));
    r("create /b/many", () -> a.create("/b/many", null, OPEN, CreateMode.PERSISTENT));
    for (int i = 0; i < 60; i++) a.create("/b/many/c" + (i * 7919 % 1000), null, OPEN, i % 3 == 0 ? CreateMode.EPHEMERAL : CreateMode.PERSISTENT);
    for (int i = 0; i < 60; i += 4) a.delete("/b/many/c" + (i * 7919 % 1000), -1);
    for (int i = 0; i < 10; i++) a.create("/b/many/late" + i, null, OPEN, CreateMode.PERSISTENT_SEQUENTIAL);
    r("getChildren /b/many (raw order)", () -> a.getChildren("/b/many", false));
    r("getEphemerals /b/many (raw order)", () -> a.getEphemerals("/b/many"));

    out("== create with PERSISTENT_WITH_TTL, PERSISTENT_SEQUENTIAL_WITH_TTL; TTL expiry");
    r("create2 /b/ttl ttl=1500", () -> a.create("/b/ttl", bytes("t"), OPEN, CreateMode.PERSISTENT_WITH_TTL, st, 1500));
    out("  stat " + stat(st));
    String ttls = r("create2 /b/ttls- seq ttl=1500", () -> a.create("/b/ttls-", null, OPEN, CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL, st, 1500));
    out("  stat " + stat(st));
    r("create2 /b/ttlp ttl=1500", () -> a.create("/b/ttlp", null, OPEN, CreateMode.PERSISTENT_WITH_TTL, st, 1500));
    r("create /b/ttlp/k", () -> a.create("/b/ttlp/k", null, OPEN, CreateMode.PERSISTENT));
    r("getData /b/ttl", () -> a.getData("/b/ttl", false, st), Util::str);
    out("  stat " + stat(st));
    r("exists /b/ttl watch", () -> a.exists("/b/ttl", w("tw")), Util::stat);
    r("exists " + ttls + " watch", () -> a.exists(ttls, w("tw")), Util::stat);
    out("  (waiting for TTL expiry)");
    expect(2, true);
    sleep(600);
    r("exists /b/ttlp (has a child)", () -> a.exists("/b/ttlp", w("tw")), Util::stat);
    v("delete /b/ttlp/k", () -> { a.delete("/b/ttlp/k", -1); return null; });
    expect(1);
    r("exists /b/c2 (empty container never deleted)", () -> a.exists("/b/c2", false), Util::stat);

    out("== getData/setData/exists/delete with versions, getChildren(2), getAllChildrenNumber, getEphemerals");
    r("getData /b/p", () -> a.getData("/b/p", false, st), Util::str);
    out("  stat " + stat(st));
    r("setData /b/p v0", () -> a.setData("/b/p", bytes("v1"), 0), Util::stat);
    r("setData /b/p v0 again", () -> a.setData("/b/p", bytes("v2"), 0), Util::stat);
    r("setData /b/p any", () -> a.setData("/b/p", bytes("v2"), -1), Util::stat);
    r("setData /b/nope", () -> a.setData("/b/nope", bytes("v"), -1), Util::stat);
    r("setData /b/p null", () -> a.setData("/b/p", null, -1), Util::stat);
    r("getData /b/p", () -> a.getData("/b/p", false, null), Util::str);
    r("setData /b/p 1000 bytes", () -> a.setData("/b/p", new byte[1000], -1), Util::stat);
    r("exists /b/p", () -> a.exists("/b/p", false), Util::stat);
    r("exists /b/nope", () -> a.exists("/b/nope", false), Util::stat);
    r("exists /", () -> a.exists("/", false), s -> "nc=" + s.getNumChildren());
    r("getData /b/nope", () -> a.getData("/b/nope", false, null), Util::str);
    v("delete /b/p v5", () -> { a.delete("/b/p", 5); return null; });
    v("delete /b", () -> { a.delete("/b", -1); return null; });
    v("delete /b/nope", () -> { a.delete("/b/nope", -1); return null; });
    r("create /b/d", () -> a.create("/b/d", null, OPEN, CreateMode.PERSISTENT));
    v("delete /b/d v0", () -> { a.delete("/b/d", 0); return null; });
    r("getChildren /b", () -> a.getChildren("/b", false));
    r("getChildren2 /b", () -> a.getChildren("/b", false, st));
    out("  stat " + stat(st));
    r("getChildren /b/nope", () -> a.getChildren("/b/nope", false));
    r("getChildren /zookeeper", () -> a.getChildren("/zookeeper", false));
    r("getAllChildrenNumber /b", () -> a.getAllChildrenNumber("/b"));
    r("getAllChildrenNumber /", () -> a.getAllChildrenNumber("/"));
    r("getAllChildrenNumber /b/nope", () -> a.getAllChildrenNumber("/b/nope"));
    r("getEphemerals", () -> a.getEphemerals());
    r("getEphemerals /b/e", () -> a.getEphemerals("/b/e"));
    r("getEphemerals /nope", () -> a.getEphemerals("/nope"));

    out("== ACLs (digest, ip, world), addAuthInfo, getACL/setACL, whoAmI");
    ZooKeeper b = connect(cs, 10000, w("B"));
    nameSession(b.getSessionId(), "B");
    expect(1);
    a.addAuthInfo("digest", bytes("alice:secret"));
    r("create /b/acl creator-all", () -> a.create("/b/acl", bytes("x"), Ids.CREATOR_ALL_ACL, CreateMode.PERSISTENT));
    r("getACL /b/acl", () -> a.getACL("/b/acl", st), ClientBasics::acls);
    out("  stat " + stat(st));
    r("B getData /b/acl", () -> b.getData("/b/acl", false, null), Util::str);
    r("B create creator-all", () -> b.create("/b/acl2", null, Ids.CREATOR_ALL_ACL, CreateMode.PERSISTENT));
    r("setACL /b/acl v0", () -> a.setACL("/b/acl", Ids.READ_ACL_UNSAFE, 0), Util::stat);
    r("setACL /b/acl v0 again", () -> a.setACL("/b/acl", Ids.READ_ACL_UNSAFE, 0), Util::stat);
    r("B getData /b/acl", () -> b.getData("/b/acl", false, null), Util::str);
    r("B setData /b/acl", () -> b.setData("/b/acl", bytes("y"), -1), Util::stat);
    List<ACL> ipAcl = Arrays.asList(new ACL(Perms.ALL, new Id("ip", "127.0.0.1")),
        new ACL(Perms.READ, new Id("world", "anyone")));
    r("create /b/ip ip acl", () -> a.create("/b/ip", bytes("i"), ipAcl, CreateMode.PERSISTENT));
    r("B setData /b/ip", () -> b.setData("/b/ip", bytes("j"), -1), Util::stat);
    r("getACL /b/ip", () -> a.getACL("/b/ip", null), ClientBasics::acls);
    r("setACL /b/ip bad scheme", () -> a.setACL("/b/ip", Arrays.asList(new ACL(Perms.ALL, new Id("nope", "x"))), -1), Util::stat);
    r("getACL /", () -> a.getACL("/", null), ClientBasics::acls);
    r("create /b/cidr ip 127.0.0.0/8", () -> a.create("/b/cidr", bytes("c"),
        Arrays.asList(new ACL(Perms.READ | Perms.WRITE, new Id("ip", "127.0.0.0/8"))), CreateMode.PERSISTENT));
    r("B setData /b/cidr", () -> b.setData("/b/cidr", bytes("d"), -1), Util::stat);
    r("create /b/cidr2 ip 10.0.0.0/8", () -> a.create("/b/cidr2", bytes("c"),
        Arrays.asList(new ACL(Perms.ALL, new Id("ip", "10.0.0.0/8"))), CreateMode.PERSISTENT));
    r("B getData /b/cidr2", () -> b.getData("/b/cidr2", false, null), Util::str);
    r("create /b/perms0 acl perms 0", () -> a.create("/b/perms0", bytes("z"),
        Arrays.asList(new ACL(0, new Id("world", "anyone"))), CreateMode.PERSISTENT));
    r("getData /b/perms0", () -> a.getData("/b/perms0", false, null), Util::str);
    r("create /b/badip ip acl not an address", () -> a.create("/b/badip", null,
        Arrays.asList(new ACL(Perms.ALL, new Id("ip", "not-an-ip"))), CreateMode.PERSISTENT));
    r("create /b/baddigest digest id without password hash", () -> a.create("/b/baddigest", null,
        Arrays.asList(new ACL(Perms.ALL, new Id("digest", "alice"))), CreateMode.PERSISTENT));
    r("create /b/auth auth scheme with two identities", () -> {
      a.addAuthInfo("digest", bytes("bob:pw"));
      return a.create("/b/auth", null, Arrays.asList(new ACL(Perms.ALL, new Id("auth", ""))), CreateMode.PERSISTENT);
    });
    r("getACL /b/auth", () -> a.getACL("/b/auth", null), ClientBasics::acls);
    {
      // After AuthFailed the client never sends closeSession: the session lives until it expires
      // (a txn). A short timeout and a watched ephemeral make that happen at a known point.
      ZooKeeper k = connect(cs, 1500, w("K"));
      nameSession(k.getSessionId(), "K");
      expect(1);
      r("K create /b/kauth ephemeral", () -> k.create("/b/kauth", null, OPEN, CreateMode.EPHEMERAL));
      r("B exists /b/kauth watch bk", () -> b.exists("/b/kauth", w("bk")), Util::stat);
      k.addAuthInfo("nope", bytes("x"));
      expect(1);
      r("K exists / after AuthFailed", () -> k.exists("/", false), x -> "nc=" + x.getNumChildren());
      out("K state=" + k.getState());
      k.close();
      out("  (waiting for K's session to expire)");
      expect(1);
      quiet(200);
    }
    {
      ZooKeeper su = connect(cs, 10000, null);
      su.addAuthInfo("digest", bytes("super:topsecret"));
      r("super getData /b/perms0", () -> su.getData("/b/perms0", false, null), Util::str);
      r("super setData /b/acl (read-only ACL)", () -> su.setData("/b/acl", bytes("su"), -1), Util::stat);
      r("super whoAmI", () -> su.whoAmI(), ClientBasics::who);
      su.close();
      ZooKeeper nsu = connect(cs, 10000, null);
      nsu.addAuthInfo("digest", bytes("super:wrong"));
      r("wrong super password getData /b/perms0", () -> nsu.getData("/b/perms0", false, null), Util::str);
      r("wrong super password whoAmI", () -> nsu.whoAmI(), ClientBasics::who);
      nsu.close();
    }
    r("A whoAmI", () -> a.whoAmI(), ClientBasics::who);
    r("B whoAmI", () -> b.whoAmI(), ClientBasics::who);

    out("== multi, transaction(), multiRead: OpResult lists and failures, async multi");
    r("multi ok", () -> a.multi(Arrays.asList(
        Op.create("/b/m1", bytes("m"), OPEN, CreateMode.PERSISTENT),
        Op.create("/b/m2", null, OPEN, CreateMode.EPHEMERAL),
        Op.setData("/b/m1", bytes("mm"), 0),
        Op.check("/b/m1", 1),
        Op.delete("/b/m2", -1),
        Op.create("/b/ms-", null, OPEN, CreateMode.PERSISTENT_SEQUENTIAL))), ClientBasics::results);
    r("multi fails at op 2", () -> a.multi(Arrays.asList(
        Op.create("/b/m3", null, OPEN, CreateMode.PERSISTENT),
        Op.setData("/b/m1", bytes("x"), 99),
        Op.create("/b/m4", null, OPEN, CreateMode.PERSISTENT))), ClientBasics::results);
    r("exists /b/m3", () -> a.exists("/b/m3", false), Util::stat);
    r("multi check fails", () -> a.multi(Arrays.asList(
        Op.check("/b/nope", -1), Op.delete("/b/m1", -1))), ClientBasics::results);
    r("multi container+ttl", () -> a.multi(Arrays.asList(
        Op.create("/b/mc", null, OPEN, CreateMode.CONTAINER),
        Op.create("/b/mt", null, OPEN, CreateMode.PERSISTENT_WITH_TTL, 3_600_000),
        Op.create("/b/mc/k", null, OPEN, CreateMode.PERSISTENT))), ClientBasics::results);
    r("multi empty", () -> a.multi(Collections.emptyList()), ClientBasics::results);
    r("transaction", () -> {
      Transaction t = a.transaction();
      t.create("/b/t", bytes("t"), OPEN, CreateMode.PERSISTENT);
      t.setData("/b/t", bytes("t2"), -1);
      t.check("/b/t", 1);
      return t.commit();
    }, ClientBasics::results);
    r("transaction fails", () -> {
      Transaction t = a.transaction();
      t.delete("/b/t", -1);
      t.create("/b/t/x/y", null, OPEN, CreateMode.PERSISTENT);
      return t.commit();
    }, ClientBasics::results);
    r("multi delete and recreate", () -> a.multi(Arrays.asList(
        Op.delete("/b/t", -1), Op.create("/b/t", bytes("again"), OPEN, CreateMode.EPHEMERAL), Op.check("/b/t", 0))), ClientBasics::results);
    r("exists /b/t", () -> a.exists("/b/t", false), Util::stat);
    r("multi duplicate create", () -> a.multi(Arrays.asList(
        Op.create("/b/dup", null, OPEN, CreateMode.PERSISTENT), Op.create("/b/dup", null, OPEN, CreateMode.PERSISTENT))), ClientBasics::results);
    r("multi create under a node created in the same multi, then ephemeral parent", () -> a.multi(Arrays.asList(
        Op.create("/b/mp", null, OPEN, CreateMode.PERSISTENT), Op.create("/b/mp/e", null, OPEN, CreateMode.EPHEMERAL),
        Op.create("/b/mp/e/x", null, OPEN, CreateMode.PERSISTENT))), ClientBasics::results);
    {
      List<Op> many = new ArrayList<>();
      for (int i = 0; i < 500; i++) many.add(Op.create("/b/mm" + i, null, OPEN, CreateMode.PERSISTENT));
      for (int i = 0; i < 500; i++) many.add(Op.delete("/b/mm" + i, -1));
      r("multi of 1000 ops", () -> a.multi(many), l -> l.size() + " results, last " + op(l.get(l.size() - 1)));
    }
    r("create /b/sq/ (sequential, trailing slash)", () -> a.create("/b/sq", null, OPEN, CreateMode.PERSISTENT));
    r("create /b/sq/ seq", () -> a.create("/b/sq/", null, OPEN, CreateMode.PERSISTENT_SEQUENTIAL));
    r("create /b/sq/ seq again", () -> a.create("/b/sq/", null, OPEN, CreateMode.EPHEMERAL_SEQUENTIAL));
    r("getChildren /b/sq", () -> a.getChildren("/b/sq", false));
    r("exists /b/wm watch wm1", () -> a.exists("/b/wm", w("wm1")), Util::stat);
    r("getChildren /b watch wm2", () -> a.getChildren("/b", w("wm2")).size());
    v("addWatch /b/wm PERSISTENT_RECURSIVE wm3", () -> { a.addWatch("/b/wm", w("wm3"), AddWatchMode.PERSISTENT_RECURSIVE); return null; });
    r("multi create, set, delete /b/wm", () -> a.multi(Arrays.asList(
        Op.create("/b/wm", null, OPEN, CreateMode.PERSISTENT), Op.create("/b/wm/c", null, OPEN, CreateMode.PERSISTENT),
        Op.setData("/b/wm", bytes("1"), -1), Op.delete("/b/wm/c", -1), Op.delete("/b/wm", -1))), ClientBasics::results);
    expect(7);
    quiet(200);
    v("removeWatches /b/wm wm3", () -> { a.removeAllWatches("/b/wm", WatcherType.Any, false); return null; });
    expect(1);
    r("multiRead", () -> a.multi(Arrays.asList(
        Op.getChildren("/b/mc"), Op.getData("/b/t"), Op.getData("/b/nope"), Op.getChildren("/b/nope"))), ClientBasics::results);
    {
      List<String> lines = Collections.synchronizedList(new ArrayList<>());
      CountDownLatch done = new CountDownLatch(2);
      a.multi(Arrays.asList(Op.create("/b/am", null, OPEN, CreateMode.PERSISTENT), Op.delete("/b/am", -1)),
          (rc, path, ctx, res) -> { lines.add("async multi rc=" + Code.get(rc) + " path=" + path + " ctx=" + ctx + " " + results(res)); done.countDown(); }, "c1");
      a.multi(Arrays.asList(Op.create("/b/am", null, OPEN, CreateMode.PERSISTENT), Op.delete("/b/nope", -1)),
          (rc, path, ctx, res) -> { lines.add("async multi rc=" + Code.get(rc) + " path=" + path + " ctx=" + ctx + " " + results(res)); done.countDown(); }, "c2");
      check(done.await(10, TimeUnit.SECONDS), "async multi callbacks");
      lines.forEach(Util::out);
    }

    out("== one-shot data/exists/child watches, default watcher");
    r("create /b/w1", () -> a.create("/b/w1", bytes("w"), OPEN, CreateMode.PERSISTENT));
    r("getData /b/w1 watch d1", () -> a.getData("/b/w1", w("d1"), null), Util::str);
    r("setData /b/w1", () -> a.setData("/b/w1", bytes("w2"), -1), Util::stat);
    expect(1);
    r("setData /b/w1 again (no watch)", () -> a.setData("/b/w1", bytes("w3"), -1), Util::stat);
    r("exists /b/w2 watch e1", () -> a.exists("/b/w2", w("e1")), Util::stat);
    r("create /b/w2", () -> a.create("/b/w2", null, OPEN, CreateMode.PERSISTENT));
    expect(1);
    r("getChildren /b/w1 watch c1", () -> a.getChildren("/b/w1", w("c1")));
    r("create /b/w1/k", () -> a.create("/b/w1/k", null, OPEN, CreateMode.PERSISTENT));
    expect(1);
    r("getData /b/w1/k watch d2", () -> a.getData("/b/w1/k", w("d2"), null), Util::str);
    r("getChildren /b/w1/k watch d2", () -> a.getChildren("/b/w1/k", w("d2")));
    r("getChildren /b/w1 watch c2", () -> a.getChildren("/b/w1", w("c2")));
    r("B exists /b/w1/k watch b1", () -> b.exists("/b/w1/k", w("b1")), Util::stat);
    v("delete /b/w1/k", () -> { a.delete("/b/w1/k", -1); return null; });
    expect(4, true);
    r("exists /b/w3 default watcher", () -> a.exists("/b/w3", true), Util::stat);
    r("getChildren / default watcher", () -> a.getChildren("/", true).size());
    r("create /b/w3", () -> a.create("/b/w3", null, OPEN, CreateMode.PERSISTENT));
    expect(1);
    r("getData /b/w3 watch (failed setData does not fire)", () -> a.getData("/b/w3", w("d3"), null), Util::str);
    r("setData /b/w3 bad version", () -> a.setData("/b/w3", null, 7), Util::stat);
    quiet(200);
    r("create / child", () -> a.create("/top", null, OPEN, CreateMode.PERSISTENT));
    expect(1);

    out("== addWatch PERSISTENT and PERSISTENT_RECURSIVE, removeWatches, removeAllWatches");
    Watcher pw = w("pw");
    v("addWatch /b/pw PERSISTENT", () -> { a.addWatch("/b/pw", pw, AddWatchMode.PERSISTENT); return null; });
    r("create /b/pw", () -> a.create("/b/pw", null, OPEN, CreateMode.PERSISTENT));
    r("setData /b/pw", () -> a.setData("/b/pw", bytes("1"), -1), Util::stat);
    r("create /b/pw/k", () -> a.create("/b/pw/k", null, OPEN, CreateMode.PERSISTENT));
    r("setData /b/pw/k", () -> a.setData("/b/pw/k", bytes("1"), -1), Util::stat);
    v("delete /b/pw/k", () -> { a.delete("/b/pw/k", -1); return null; });
    v("delete /b/pw", () -> { a.delete("/b/pw", -1); return null; });
    r("create /b/pw", () -> a.create("/b/pw", null, OPEN, CreateMode.PERSISTENT));
    expect(6);
    quiet(200);
    v("addWatch /b/rw PERSISTENT_RECURSIVE", () -> { a.addWatch("/b/rw", w("rw"), AddWatchMode.PERSISTENT_RECURSIVE); return null; });
    v("addWatch /b/rw PERSISTENT_RECURSIVE default watcher", () -> { a.addWatch("/b/rw", AddWatchMode.PERSISTENT_RECURSIVE); return null; });
    r("create /b/rw", () -> a.create("/b/rw", null, OPEN, CreateMode.PERSISTENT));
    r("create /b/rw/a", () -> a.create("/b/rw/a", null, OPEN, CreateMode.PERSISTENT));
    r("create /b/rw/a/b", () -> a.create("/b/rw/a/b", null, OPEN, CreateMode.EPHEMERAL));
    r("setData /b/rw/a/b", () -> a.setData("/b/rw/a/b", bytes("x"), -1), Util::stat);
    r("getData /b/rw/a watch rwd", () -> a.getData("/b/rw/a", w("rwd"), null), Util::str);
    r("setData /b/rw/a", () -> a.setData("/b/rw/a", bytes("y"), -1), Util::stat);
    v("delete /b/rw/a/b", () -> { a.delete("/b/rw/a/b", -1); return null; });
    expect(13);
    quiet(200);
    v("removeWatches /b/pw other watcher", () -> { a.removeWatches("/b/pw", w("pw"), WatcherType.Any, false); return null; });
    v("removeWatches /b/pw pw Data", () -> { a.removeWatches("/b/pw", pw, WatcherType.Data, false); return null; });
    quiet(200);
    v("removeWatches /b/pw pw Any", () -> { a.removeWatches("/b/pw", pw, WatcherType.Any, false); return null; });
    expect(1);
    r("setData /b/pw (watch removed)", () -> a.setData("/b/pw", bytes("2"), -1), Util::stat);
    quiet(200);
    v("removeAllWatches /b/pw again", () -> { a.removeAllWatches("/b/pw", WatcherType.Any, false); return null; });
    Watcher rd = w("rd");
    Watcher rc = w("rc");
    r("getData /b/w2 watch rd", () -> a.getData("/b/w2", rd, null), Util::str);
    r("getChildren /b/w2 watch rc", () -> a.getChildren("/b/w2", rc));
    v("removeWatches /b/w2 rd Children", () -> { a.removeWatches("/b/w2", rd, WatcherType.Children, false); return null; });
    v("removeWatches /b/w2 rd Data", () -> { a.removeWatches("/b/w2", rd, WatcherType.Data, false); return null; });
    expect(1);
    v("removeWatches /b/w2 rc Children", () -> { a.removeWatches("/b/w2", rc, WatcherType.Children, false); return null; });
    expect(1);
    r("getData /b/w2 watch rd", () -> a.getData("/b/w2", rd, null), Util::str);
    r("exists /b/w2 watch rc", () -> a.exists("/b/w2", rc), Util::stat);
    r("getChildren /b/w2 watch rc", () -> a.getChildren("/b/w2", rc));
    v("removeAllWatches /b/w2 Data", () -> { a.removeAllWatches("/b/w2", WatcherType.Data, false); return null; });
    expect(2, true);
    v("removeAllWatches /b/w2 Any", () -> { a.removeAllWatches("/b/w2", WatcherType.Any, false); return null; });
    expect(1);
    v("removeAllWatches /b/nope Any", () -> { a.removeAllWatches("/b/nope", WatcherType.Any, false); return null; });
    r("getData /b/w2 watch rd", () -> a.getData("/b/w2", rd, null), Util::str);
    v("removeWatches /b/w2 rd Data local", () -> { a.removeWatches("/b/w2", rd, WatcherType.Data, true); return null; });
    expect(1);
    r("setData /b/w2", () -> a.setData("/b/w2", bytes("z"), -1), Util::stat);
    quiet(200);

    out("== async API (every callback type)");
    {
      List<String> lines = Collections.synchronizedList(new ArrayList<>());
      int n = 21;
      CountDownLatch done = new CountDownLatch(n);
      Watcher aw = w("aw");
      a.create("/b/as1", bytes("a"), OPEN, CreateMode.PERSISTENT,
          (rc2, p, ctx, name) -> { lines.add("create rc=" + Code.get(rc2) + " path=" + p + " ctx=" + ctx + " name=" + name); done.countDown(); }, "x1");
      a.create("/b/as2", bytes("b"), OPEN, CreateMode.EPHEMERAL,
          (rc2, p, ctx, name, s) -> { lines.add("create2 rc=" + Code.get(rc2) + " path=" + p + " ctx=" + ctx + " name=" + name + " " + stat(s)); done.countDown(); }, "x2");
      a.create("/b/as1", null, OPEN, CreateMode.PERSISTENT,
          (rc2, p, ctx, name) -> { lines.add("create dup rc=" + Code.get(rc2) + " path=" + p + " name=" + name); done.countDown(); }, "x3");
      a.create("/b/ttla", null, OPEN, CreateMode.PERSISTENT_WITH_TTL,
          (rc2, p, ctx, name, s) -> { lines.add("create ttl rc=" + Code.get(rc2) + " name=" + name + " " + stat(s)); done.countDown(); }, "x4", 3_600_000);
      a.exists("/b/as1", aw, (rc2, p, ctx, s) -> { lines.add("exists rc=" + Code.get(rc2) + " path=" + p + " " + stat(s)); done.countDown(); }, "x5");
      a.exists("/b/nope", false, (rc2, p, ctx, s) -> { lines.add("exists missing rc=" + Code.get(rc2) + " path=" + p + " " + stat(s)); done.countDown(); }, "x6");
      a.getData("/b/as1", false, (rc2, p, ctx, d, s) -> { lines.add("getData rc=" + Code.get(rc2) + " " + str(d) + " " + stat(s)); done.countDown(); }, "x7");
      a.getData("/b/nope", false, (rc2, p, ctx, d, s) -> { lines.add("getData missing rc=" + Code.get(rc2) + " " + str(d) + " " + stat(s)); done.countDown(); }, "x8");
      a.setData("/b/as1", bytes("a2"), 0, (rc2, p, ctx, s) -> { lines.add("setData rc=" + Code.get(rc2) + " " + stat(s)); done.countDown(); }, "x9");
      a.setData("/b/as1", bytes("a3"), 0, (rc2, p, ctx, s) -> { lines.add("setData badversion rc=" + Code.get(rc2) + " " + stat(s)); done.countDown(); }, "x10");
      a.getChildren("/b/w1", false, (org.apache.zookeeper.AsyncCallback.ChildrenCallback) (rc2, p, ctx, ch) -> { lines.add("getChildren rc=" + Code.get(rc2) + " " + ch); done.countDown(); }, "x11");
      a.getChildren("/b", false, (rc2, p, ctx, ch, s) -> { lines.add("getChildren2 rc=" + Code.get(rc2) + " n=" + ch.size() + " " + stat(s)); done.countDown(); }, "x12");
      a.getACL("/b/acl", new Stat(), (rc2, p, ctx, acl, s) -> { lines.add("getACL rc=" + Code.get(rc2) + " " + acls(acl) + " " + stat(s)); done.countDown(); }, "x13");
      a.setACL("/b/as1", Ids.READ_ACL_UNSAFE, 5, (rc2, p, ctx, s) -> { lines.add("setACL badversion rc=" + Code.get(rc2) + " " + stat(s)); done.countDown(); }, "x14");
      a.getAllChildrenNumber("/b", (rc2, p, ctx, num) -> { lines.add("getAllChildrenNumber rc=" + Code.get(rc2) + " n=" + num); done.countDown(); }, "x15");
      a.getEphemerals("/b/as", (rc2, ctx, paths) -> { lines.add("getEphemerals rc=" + Code.get(rc2) + " ctx=" + ctx + " " + paths); done.countDown(); }, "x16");
      a.sync("/b", (rc2, p, ctx) -> { lines.add("sync rc=" + Code.get(rc2) + " path=" + p + " ctx=" + ctx); done.countDown(); }, "x17");
      a.addWatch("/b/as1", aw, AddWatchMode.PERSISTENT, (rc2, p, ctx) -> { lines.add("addWatch rc=" + Code.get(rc2) + " path=" + p); done.countDown(); }, "x18");
      a.delete("/b/as1", -1, (rc2, p, ctx) -> { lines.add("delete rc=" + Code.get(rc2) + " path=" + p + " ctx=" + ctx); done.countDown(); }, "x19");
      a.delete("/b/as1", -1, (rc2, p, ctx) -> { lines.add("delete again rc=" + Code.get(rc2) + " path=" + p); done.countDown(); }, "x20");
      a.removeAllWatches("/b/as1", WatcherType.Any, false, (rc2, p, ctx) -> { lines.add("removeAllWatches rc=" + Code.get(rc2) + " path=" + p); done.countDown(); }, "x21");
      check(done.await(15, TimeUnit.SECONDS), "async callbacks");
      synchronized (lines) {
        lines.forEach(l -> out("  " + l));
      }
      expect(3);
      quiet(200);
    }

    out("== pipelined async burst: 300 mixed reads and writes answered in order");
    {
      r("create /b/burst", () -> a.create("/b/burst", bytes("0"), OPEN, CreateMode.PERSISTENT));
      int n = 300;
      List<String> order = Collections.synchronizedList(new ArrayList<>());
      CountDownLatch done = new CountDownLatch(n);
      for (int i = 0; i < n; i++) {
        final int k = i;
        switch (i % 4) {
          case 0:
            a.setData("/b/burst", bytes(String.valueOf(i)), -1, (rc2, p, ctx, s2) -> { order.add(k + ":" + Code.get(rc2) + ":v" + (s2 == null ? -1 : s2.getVersion())); done.countDown(); }, null);
            break;
          case 1:
            a.getData("/b/burst", false, (rc2, p, ctx, d, s2) -> { order.add(k + ":" + Code.get(rc2) + ":" + new String(d)); done.countDown(); }, null);
            break;
          case 2:
            a.create("/b/burst/n", null, OPEN, CreateMode.EPHEMERAL_SEQUENTIAL, (rc2, p, ctx, name) -> { order.add(k + ":" + Code.get(rc2) + ":" + name); done.countDown(); }, null);
            break;
          default:
            a.exists("/b/burst/n" + String.format("%010d", k / 4 * 1), false, (rc2, p, ctx, s2) -> { order.add(k + ":" + Code.get(rc2)); done.countDown(); }, null);
        }
      }
      check(done.await(30, TimeUnit.SECONDS), "burst callbacks");
      boolean inOrder = true;
      for (int i = 0; i < order.size(); i++) inOrder &= order.get(i).startsWith(i + ":");
      out("callbacks=" + order.size() + " inOrder=" + inOrder);
      out("first=" + order.subList(0, 8));
      out("last=" + order.subList(n - 4, n));
      r("getData /b/burst", () -> a.getData("/b/burst", false, st), Util::str);
      out("  stat " + stat(st));
      r("getAllChildrenNumber /b/burst", () -> a.getAllChildrenNumber("/b/burst"));
    }

    out("== requests near and over jute.maxbuffer");
    {
      ZooKeeper g = connect(cs, 10000, w("G"));
      nameSession(g.getSessionId(), "G");
      expect(1);
      r("G create /b/big 1,000,000 bytes", () -> g.create("/b/big", new byte[1_000_000], OPEN, CreateMode.PERSISTENT));
      r("G getData /b/big", () -> g.getData("/b/big", false, st), x -> x.length + " bytes");
      out("  stat " + stat(st));
      r("G setData /b/big 1,048,000 bytes", () -> g.setData("/b/big", new byte[1_048_000], -1), Util::stat);
      r("G setData /b/big 2,000,000 bytes", () -> g.setData("/b/big", new byte[2_000_000], -1), Util::stat);
      expect(2);
      long sid = g.getSessionId();
      r("G exists /b/big after reconnect", () -> g.exists("/b/big", false), Util::stat);
      out("G same session=" + (g.getSessionId() == sid));
      r("G getData /b/big", () -> g.getData("/b/big", false, st), x -> x.length + " bytes");
      r("G create /b/big2 600,000 bytes", () -> g.create("/b/big2", new byte[600_000], OPEN, CreateMode.PERSISTENT));
      r("G multiRead of 1,648,000 bytes (reply over the client's jute.maxbuffer)", () -> g.multi(Arrays.asList(
          Op.getData("/b/big"), Op.getData("/b/big2"))), ClientBasics::results);
      expect(2);
      r("G create /b/wide", () -> g.create("/b/wide", null, OPEN, CreateMode.PERSISTENT));
      {
        char[] pad = new char[600];
        Arrays.fill(pad, 'x');
        String long600 = new String(pad);
        CountDownLatch made = new CountDownLatch(1800);
        for (int i = 0; i < 1800; i++) {
          g.create("/b/wide/" + i + long600, null, OPEN, CreateMode.PERSISTENT, (rc2, p, ctx, name) -> made.countDown(), null);
        }
        check(made.await(60, TimeUnit.SECONDS), "1800 creates");
      }
      r("G getAllChildrenNumber /b/wide", () -> g.getAllChildrenNumber("/b/wide"));
      r("G getChildren /b/wide (reply over the client's jute.maxbuffer)", () -> g.getChildren("/b/wide", false).size());
      expect(2);
      r("G exists /b/wide", () -> g.exists("/b/wide", false), Util::stat);
      g.close();
      expect(1);
    }

    out("== watches restored after a reconnect (setWatches)");
    try (Util.Proxy proxy = new Util.Proxy(cs)) {
      ZooKeeper h = connect(proxy.connectString(), 10000, w("H"));
      nameSession(h.getSessionId(), "H");
      expect(1);
      r("create /b/sw", () -> a.create("/b/sw", bytes("0"), OPEN, CreateMode.PERSISTENT));
      r("create /b/sw/gone", () -> a.create("/b/sw/gone", bytes("0"), OPEN, CreateMode.PERSISTENT));
      r("create /b/sw/same", () -> a.create("/b/sw/same", bytes("0"), OPEN, CreateMode.PERSISTENT));
      r("H getData /b/sw watch hd", () -> h.getData("/b/sw", w("hd"), null), Util::str);
      r("H getData /b/sw/gone watch hd", () -> h.getData("/b/sw/gone", w("hd"), null), Util::str);
      r("H getData /b/sw/same watch hs", () -> h.getData("/b/sw/same", w("hs"), null), Util::str);
      r("H exists /b/sw/new watch he", () -> h.exists("/b/sw/new", w("he")), Util::stat);
      r("H exists /b/sw/never watch hn", () -> h.exists("/b/sw/never", w("hn")), Util::stat);
      r("H getChildren /b/sw watch hc", () -> h.getChildren("/b/sw", w("hc")).size());
      v("H addWatch /b/sw PERSISTENT_RECURSIVE hr", () -> { h.addWatch("/b/sw", w("hr"), AddWatchMode.PERSISTENT_RECURSIVE); return null; });
      v("H addWatch /b/sw/same PERSISTENT hp", () -> { h.addWatch("/b/sw/same", w("hp"), AddWatchMode.PERSISTENT); return null; });
      {
        // 2000 exists watches on ~150-character paths: the client's setWatches after the reconnect
        // exceeds its 128 KB batch size and goes out as several packets.
        char[] pad = new char[140];
        Arrays.fill(pad, 'w');
        String prefix = "/b/sw/" + new String(pad);
        CountDownLatch set = new CountDownLatch(2000);
        Watcher hm = w("hm");
        for (int i = 0; i < 2000; i++) h.exists(prefix + i, hm, (rc2, p, ctx, s2) -> set.countDown(), null);
        check(set.await(30, TimeUnit.SECONDS), "2000 exists watches set");
        manyWatchPrefix = prefix;
      }
      proxy.freeze();
      out("  (H's link frozen)");
      for (int i : new int[] {7, 1234, 1999}) {
        r("create /b/sw/w...w" + i, () -> a.create(manyWatchPrefix + i, null, OPEN, CreateMode.PERSISTENT), x -> "ok");
      }
      r("setData /b/sw", () -> a.setData("/b/sw", bytes("1"), -1), Util::stat);
      v("delete /b/sw/gone", () -> { a.delete("/b/sw/gone", -1); return null; });
      r("create /b/sw/new", () -> a.create("/b/sw/new", null, OPEN, CreateMode.PERSISTENT));
      proxy.thaw();
      out("  (H reconnects)");
      expect(16);
      quiet(300);
      r("setData /b/sw/same", () -> a.setData("/b/sw/same", bytes("1"), -1), Util::stat);
      r("create /b/sw/never", () -> a.create("/b/sw/never", null, OPEN, CreateMode.PERSISTENT));
      expect(5);
      quiet(200);
      h.close();
      expect(1);
    }

    out("== chroot connect string");
    {
      r("create /b/chroot", () -> a.create("/b/chroot", null, OPEN, CreateMode.PERSISTENT));
      ZooKeeper j = connect(cs + "/b/chroot", 10000, w("J"));
      nameSession(j.getSessionId(), "J");
      expect(1);
      v("J addWatch / PERSISTENT_RECURSIVE", () -> { j.addWatch("/", w("jr"), AddWatchMode.PERSISTENT_RECURSIVE); return null; });
      r("J create /x", () -> j.create("/x", bytes("x"), OPEN, CreateMode.PERSISTENT));
      r("J create2 /x/s- ephemeral seq", () -> j.create("/x/s-", null, OPEN, CreateMode.EPHEMERAL_SEQUENTIAL, st));
      out("  stat " + stat(st));
      r("J getChildren /", () -> j.getChildren("/", false));
      r("J getEphemerals /", () -> j.getEphemerals("/"));
      r("J getEphemerals", () -> j.getEphemerals());
      r("J getAllChildrenNumber /", () -> j.getAllChildrenNumber("/"));
      r("J multi", () -> j.multi(Arrays.asList(Op.create("/y", null, OPEN, CreateMode.PERSISTENT_SEQUENTIAL),
          Op.setData("/x", bytes("xx"), -1), Op.getData("/nope"))), ClientBasics::results);
      r("J multi ok", () -> j.multi(Arrays.asList(Op.create("/y", null, OPEN, CreateMode.PERSISTENT_SEQUENTIAL),
          Op.setData("/x", bytes("xx"), -1))), ClientBasics::results);
      r("J multiRead", () -> j.multi(Arrays.asList(Op.getChildren("/"), Op.getData("/x"))), ClientBasics::results);
      r("J exists /x watch jx", () -> j.exists("/x", w("jx")), Util::stat);
      v("J delete /x/s-0000000000", () -> { j.delete("/x/s-0000000000", -1); return null; });
      v("J delete /x", () -> { j.delete("/x", -1); return null; });
      expect(7);
      r("A getChildren /b/chroot", () -> a.getChildren("/b/chroot", false));
      j.close();
      expect(1);
      quiet(200);
    }

    out("== getConfig, /zookeeper, reconfig (disabled)");
    r("getConfig", () -> a.getConfig(false, st), Util::str);
    out("  stat " + stat(st));
    r("getConfig watch", () -> a.getConfig(w("cfg"), null), Util::str);
    r("getData /zookeeper/config", () -> a.getData("/zookeeper/config", false, null), Util::str);
    r("getACL /zookeeper/config", () -> a.getACL("/zookeeper/config", null), ClientBasics::acls);
    r("getChildren /zookeeper", () -> a.getChildren("/zookeeper", false));
    r("getData /zookeeper/quota", () -> a.getData("/zookeeper/quota", false, null), Util::str);
    {
      ZooKeeperAdmin admin = new ZooKeeperAdmin(cs, 10000, ev -> { });
      r("reconfigure", () -> admin.reconfigure("server.2=127.0.0.1:1:2:participant;127.0.0.1:3", null, null, -1, null), Util::str);
      admin.close();
    }
    r("create /zookeeper/x", () -> a.create("/zookeeper/x", null, OPEN, CreateMode.PERSISTENT));
    r("setData /zookeeper/config", () -> a.setData("/zookeeper/config", bytes("x"), -1), Util::stat);
    v("delete /zookeeper", () -> { a.delete("/zookeeper", -1); return null; });
    v("delete /zookeeper/config", () -> { a.delete("/zookeeper/config", -1); return null; });
    v("delete /zookeeper/quota", () -> { a.delete("/zookeeper/quota", -1); return null; });
    r("setACL /zookeeper/config", () -> a.setACL("/zookeeper/config", OPEN, -1), Util::stat);
    r("create /zookeeper/quota/q", () -> a.create("/zookeeper/quota/q", null, OPEN, CreateMode.PERSISTENT));
    r("create /zookeeper/config/c", () -> a.create("/zookeeper/config/c", null, OPEN, CreateMode.PERSISTENT));
    r("getAllChildrenNumber /zookeeper", () -> a.getAllChildrenNumber("/zookeeper"));

    out("== session expiry (link frozen) seen from a second client");
    try (Util.Proxy proxy = new Util.Proxy(cs)) {
      ZooKeeper c = connect(proxy.connectString(), 2000, w("C"));
      nameSession(c.getSessionId(), "C");
      expect(1);
      out("C timeout=" + c.getSessionTimeout());
      r("C create2 /b/exp ephemeral", () -> c.create("/b/exp", null, OPEN, CreateMode.EPHEMERAL, st));
      out("  stat " + stat(st));
      r("B exists /b/exp watch bx", () -> b.exists("/b/exp", w("bx")), Util::stat);
      r("B getEphemerals (none)", () -> b.getEphemerals());
      proxy.freeze();
      out("  (link frozen)");
      expect(2, true);
      proxy.thaw();
      expect(1);
      out("C state=" + c.getState());
      r("C exists /b", () -> c.exists("/b", false), Util::stat);
      r("B exists /b/exp", () -> b.exists("/b/exp", false), Util::stat);
      c.close();
    }

    out("== session closed by a second handle with the same id and password; bad password");
    {
      ZooKeeper d = connect(cs, 10000, w("D"));
      nameSession(d.getSessionId(), "D");
      expect(1);
      r("D create /b/dk ephemeral", () -> d.create("/b/dk", null, OPEN, CreateMode.EPHEMERAL));
      r("B exists /b/dk watch bd", () -> b.exists("/b/dk", w("bd")), Util::stat);
      ZooKeeper e = new ZooKeeper(cs, 10000, w("E"), d.getSessionId(), d.getSessionPasswd());
      expect(1);
      out("E same session=" + (e.getSessionId() == d.getSessionId()) + " timeout=" + e.getSessionTimeout());
      r("E getEphemerals", () -> e.getEphemerals());
      sleep(300);
      e.close();
      out("  (E closed)");
      expect(4, true);
      quiet(500);
      out("D state=" + d.getState());
      d.close();
      ZooKeeper f = new ZooKeeper(cs, 10000, w("F"), d.getSessionId(), new byte[16]);
      expect(1);
      out("F (bad password) state=" + f.getState());
      f.close();
    }

    out("== close: ephemerals removed, watchers notified");
    r("B exists /b/e watch be", () -> b.exists("/b/e", w("be")), Util::stat);
    r("B getChildren /b watch bc", () -> b.getChildren("/b", w("bc")).size());
    a.close();
    out("A closed state=" + a.getState());
    expect(2);
    r("B getChildren /b sorted", () -> { List<String> l = b.getChildren("/b", false); Collections.sort(l); return l; });
    r("B getEphemerals", () -> b.getEphemerals());
    r("B create /b/last", () -> b.create("/b/last", null, OPEN, CreateMode.PERSISTENT_SEQUENTIAL));
    b.close();
    quiet(300);
    finish();
  }
}
