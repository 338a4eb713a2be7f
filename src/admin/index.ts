/**
 * The admin side of a server: four-letter words (answered on the client port, see fourLetterWords.ts),
 * the AdminServer (HTTP JSON commands) and the Prometheus /metrics endpoint.
 *
 * AdminServices.attach(zks) installs the server's metrics observer (do it before zks.start() so that
 * the startup snapshot and log replay count, as in Apache); start() opens the HTTP listeners the
 * configuration asks for; stop() closes them (stopping the server does it too).
 */
import type { ZooKeeperServer } from '../server/zooKeeperServer';
import { Logger, silentLogger } from '../util/logger';
import { adminContext, metricsProviderClass } from './adminContext';
import type { AdminServer } from './adminServer';
import { adminServerConfig, prometheusConfig } from './httpConfig';
import { PROMETHEUS_PROVIDER } from './metrics';
import type { PrometheusServer } from './prometheusServer';

export { runFourLetterWord, FOUR_LETTER_CODES, FOUR_LETTER_WORDS } from './fourLetterWords';

const DEFAULT_METRICS_PROVIDER = 'org.apache.zookeeper.metrics.impl.DefaultMetricsProvider';

export class AdminServices {
  private admin: AdminServer | null = null;
  private prometheus: PrometheusServer | null = null;
  private stopping: Promise<void> | null = null;

  private constructor(
    readonly zks: ZooKeeperServer,
    private readonly log: Logger,
  ) {}

  /** Installs the metrics observer on `zks` and makes its stop() close the HTTP listeners as well. */
  static attach(zks: ZooKeeperServer, log: Logger = zks.log ?? silentLogger()): AdminServices {
    const services = new AdminServices(zks, log);
    const cls = metricsProviderClass(zks);
    if (cls !== null && cls !== PROMETHEUS_PROVIDER && cls !== DEFAULT_METRICS_PROVIDER) {
      throw new Error(`Cannot boot MetricsProvider ${cls}: zkts knows ${DEFAULT_METRICS_PROVIDER} and ${PROMETHEUS_PROVIDER}`);
    }
    adminContext(zks);
    const stop = zks.stop;
    zks.stop = async function (this: ZooKeeperServer): Promise<void> {
      await services.stop();
      await stop.call(this);
    };
    return services;
  }

  /** Starts the /metrics endpoint and the AdminServer, if configured (Apache starts both before the client port). */
  async start(): Promise<void> {
    const sys = this.zks.config.sysProps;
    try {
      if (metricsProviderClass(this.zks) === PROMETHEUS_PROVIDER) {
        // Required here: a server without HTTP endpoints never loads Node's http (start-up time).
        const { PrometheusServer } = require('./prometheusServer') as typeof import('./prometheusServer');
        const p = new PrometheusServer(adminContext(this.zks).metrics, prometheusConfig(sys), this.log);
        await p.start();
        this.prometheus = p;
      }
      const cfg = adminServerConfig(sys);
      if (cfg.enabled) {
        if ((sys.get('zookeeper.admin.portUnification') ?? 'false') === 'true' || (sys.get('zookeeper.admin.forceHttps') ?? 'false') === 'true') {
          this.log.warn('admin.portUnification and admin.forceHttps are not supported: the AdminServer serves plain HTTP');
        }
        const { AdminServer } = require('./adminServer') as typeof import('./adminServer');
        const a = new AdminServer(this.zks, cfg, this.log);
        await a.start();
        this.admin = a;
      } else {
        this.log.debug('AdminServer not enabled (admin.enableServer=true starts it)');
      }
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  /** The AdminServer's port, or 0 when it does not run. */
  get adminPort(): number {
    return this.admin?.port ?? 0;
  }

  /** The /metrics port, or 0 when it does not run. */
  get metricsPort(): number {
    return this.prometheus?.port ?? 0;
  }

  async stop(): Promise<void> {
    this.stopping ??= (async () => {
      const a = this.admin;
      const p = this.prometheus;
      this.admin = null;
      this.prometheus = null;
      await Promise.all([a?.stop(), p?.stop()]);
    })();
    await this.stopping;
    this.stopping = null;
  }
}
