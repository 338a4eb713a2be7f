/**
 * What the AdminServer and the /metrics endpoint listen on, from the server's system properties:
 * apart from their http-based servers so that a server without them never loads Node's http.
 */

export interface AdminServerConfig {
  enabled: boolean;
  address: string;
  port: number;
  commandUrl: string;
  idleTimeoutMs: number;
}

/** Integer.getInteger: the property as a decimal int, else the default. */
function javaInteger(v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const t = v.trim();
  if (!/^[+-]?\d+$/.test(t)) return dflt;
  const n = Number(t);
  return n > 2147483647 || n < -2147483648 ? dflt : n;
}

export function adminServerConfig(sysProps: Map<string, string>): AdminServerConfig {
  return {
    // zkts keeps the AdminServer off unless asked for (Apache 3.8 starts it by default).
    enabled: (sysProps.get('zookeeper.admin.enableServer') ?? 'false').trim() === 'true',
    address: sysProps.get('zookeeper.admin.serverAddress') ?? '0.0.0.0',
    port: javaInteger(sysProps.get('zookeeper.admin.serverPort'), 8080),
    commandUrl: sysProps.get('zookeeper.admin.commandURL') ?? '/commands',
    idleTimeoutMs: javaInteger(sysProps.get('zookeeper.admin.idleTimeout'), 30000),
  };
}

export interface PrometheusConfig {
  host: string;
  port: number;
}

/** PrometheusMetricsProvider.configure: the metricsProvider.* keys of zoo.cfg. */
export function prometheusConfig(sysProps: Map<string, string>): PrometheusConfig {
  const port = Number.parseInt((sysProps.get('zookeeper.metricsProvider.httpPort') ?? '7000').trim(), 10);
  if (!Number.isInteger(port)) throw new Error(`Invalid metricsProvider.httpPort: ${sysProps.get('zookeeper.metricsProvider.httpPort')}`);
  return { host: sysProps.get('zookeeper.metricsProvider.httpHost') ?? '0.0.0.0', port };
}
