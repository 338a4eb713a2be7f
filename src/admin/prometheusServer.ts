/**
 * The Prometheus metrics endpoint (PrometheusMetricsProvider): with
 * `metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider`, GET
 * /metrics on `metricsProvider.httpHost` (0.0.0.0) : `metricsProvider.httpPort` (7000) answers in the
 * text exposition format 0.0.4, as the Prometheus simpleclient 0.9 servlet Apache 3.8 ships with.
 * `name[]` parameters select families, as that servlet's do.
 */
import * as http from 'http';
import { Logger } from '../util/logger';
import { sendError } from './adminServer';
import { PrometheusConfig } from './httpConfig';
import { HttpEndpoint } from './httpEndpoint';
import { PROMETHEUS_CONTENT_TYPE, ServerMetrics, writeTextFormat } from './metrics';

export class PrometheusServer extends HttpEndpoint {
  constructor(
    private readonly metrics: ServerMetrics,
    readonly config: PrometheusConfig,
    private readonly log: Logger,
  ) {
    super();
  }

  async start(): Promise<void> {
    const server = http.createServer((req, res) => this.handle(req, res));
    const onError = (e: Error): void => this.log.warn(`/metrics server error: ${e.message}`);
    await this.listen(server, this.config.port, this.config.host, onError).catch((e: Error) => {
      throw new Error(`Cannot start /metrics server on ${this.config.host}:${this.config.port}: ${e.message}`);
    });
    this.log.info(`Started /metrics HTTP endpoint at host: ${this.config.host}, port: ${this.port}`);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const rawPath = q < 0 ? rawUrl : rawUrl.substring(0, q);
    const head = req.method === 'HEAD';
    if (rawPath !== '/metrics') {
      sendError(res, 404, 'Not Found', rawPath, head);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'POST' && !head) {
      sendError(res, 405, `HTTP method ${req.method} is not supported by this URL`, rawPath, false);
      return;
    }
    const names = new URLSearchParams(q < 0 ? '' : rawUrl.substring(q + 1)).getAll('name[]');
    let families = this.metrics.prometheusFamilies();
    if (names.length > 0) {
      // CollectorRegistry.filteredMetricFamilySamples: only the samples asked for by name, and only
      // the families left with some.
      const wanted = new Set(names);
      families = families
        .map((f) => ({ ...f, samples: f.samples.filter((s) => wanted.has(s.name)) }))
        .filter((f) => f.samples.length > 0);
    }
    const body = Buffer.from(writeTextFormat(families), 'utf8');
    res.writeHead(200, { 'Content-Type': PROMETHEUS_CONTENT_TYPE, 'Content-Length': body.length });
    res.end(head ? undefined : body);
  }
}
