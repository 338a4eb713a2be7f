package zkcompat;

import static zkcompat.Util.*;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.x.discovery.ServiceCache;
import org.apache.curator.x.discovery.ServiceDiscovery;
import org.apache.curator.x.discovery.ServiceDiscoveryBuilder;
import org.apache.curator.x.discovery.ServiceInstance;
import org.apache.curator.x.discovery.ServiceProvider;
import org.apache.curator.x.discovery.strategies.RoundRobinStrategy;
import org.apache.curator.x.discovery.details.JsonInstanceSerializer;

/**
 * curator-x-discovery: instances registered by three clients (ephemeral nodes), queried, cached
 * and picked round-robin; an instance goes away when its client closes. Compiled only when
 * /usr/share/java/curator-x-discovery.jar (Debian libcurator-discovery-java) is installed.
 */
public final class Discovery {
  private Discovery() {}

  static ServiceDiscovery<String> discovery(CuratorFramework c, ServiceInstance<String> me) throws Exception {
    ServiceDiscovery<String> d = ServiceDiscoveryBuilder.builder(String.class)
        .client(c)
        .basePath("/it/discovery")
        .serializer(new JsonInstanceSerializer<>(String.class))
        .thisInstance(me)
        .build();
    d.start();
    return d;
  }

  static String ids(Collection<ServiceInstance<String>> l) {
    return l.stream().map(i -> i.getId() + "@" + i.getPort() + ":" + i.getPayload()).sorted().collect(Collectors.toList()).toString();
  }

  public static void run() throws Exception {
    List<CuratorFramework> cl = new ArrayList<>();
    List<ServiceDiscovery<String>> ds = new ArrayList<>();
    List<ServiceInstance<String>> insts = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      CuratorFramework c = CuratorRecipes.client();
      ServiceInstance<String> inst = ServiceInstance.<String>builder()
          .name("svc").id("i" + i).address("127.0.0.1").port(1000 + i).payload("v" + i).build();
      cl.add(c);
      insts.add(inst);
      ds.add(discovery(c, inst));
    }
    ServiceDiscovery<String> query = discovery(CuratorRecipes.client(), null);
    ServiceInstance<String> other = ServiceInstance.<String>builder().name("db").id("d0").address("127.0.0.1").port(5432).payload("x").build();
    query.registerService(other);
    out("names=" + query.queryForNames().stream().sorted().collect(Collectors.toList()));
    out("instances=" + ids(query.queryForInstances("svc")));
    out("instance i1=" + query.queryForInstance("svc", "i1").getPort() + " missing=" + query.queryForInstance("svc", "zz"));

    ServiceCache<String> cache = query.serviceCacheBuilder().name("svc").build();
    cache.start();
    out("cache=" + ids(cache.getInstances()));

    ServiceProvider<String> provider = query.serviceProviderBuilder().serviceName("svc").providerStrategy(new RoundRobinStrategy<>()).build();
    provider.start();
    Map<String, Integer> picks = new TreeMap<>();
    for (int i = 0; i < 9; i++) picks.merge(provider.getInstance().getId(), 1, Integer::sum);
    out("round robin picks=" + picks);

    ServiceInstance<String> updated = ServiceInstance.<String>builder()
        .name("svc").id("i0").address("127.0.0.1").port(1000).payload("v0-updated").build();
    ds.get(0).updateService(updated);
    check(await(10000, () -> ids(cache.getInstances()).contains("v0-updated")), "cache sees the update");
    out("after update cache=" + ids(cache.getInstances()));

    cl.get(2).close(); // its ephemeral registration goes with the session
    check(await(10000, () -> cache.getInstances().size() == 2), "cache drops the closed client's instance");
    out("after close cache=" + ids(cache.getInstances()) + " query=" + ids(query.queryForInstances("svc")));

    ds.get(1).unregisterService(insts.get(1));
    check(await(10000, () -> cache.getInstances().size() == 1), "cache drops the unregistered instance");
    // The provider keeps its own cache: wait for it too.
    check(await(10000, () -> {
      try {
        return provider.getAllInstances().size() == 1;
      } catch (Exception e) {
        return false;
      }
    }), "provider drops the unregistered instance");
    out("after unregister cache=" + ids(cache.getInstances()) + " provider=" + provider.getInstance().getId());
    provider.close();
    cache.close();
    query.close();
    ds.get(0).close();
    ds.get(1).close();
    sleep(200);
  }
}
