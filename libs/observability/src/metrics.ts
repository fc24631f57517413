import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** One registry per app (apps share a process in tests and the demo), with Node's default metrics. */
export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ app: service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Latency buckets (seconds) from a millisecond to a minute. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Durations of whole files or jobs (seconds). */
export const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 1800, 3600];

/**
 * Keeps a label's values bounded when they come from outside (a trigger's source, a target URL):
 * the first `max` distinct values are kept, later ones are counted as "other".
 */
export class BoundedLabel {
  private readonly seen = new Set<string>();

  constructor(private readonly max = 50) {}

  of(value: string | null | undefined): string {
    const v = value || 'unknown';
    if (this.seen.has(v)) return v;
    if (this.seen.size >= this.max) return 'other';
    this.seen.add(v);
    return v;
  }
}

/** A URL as a label: its origin only (no path, query or credentials). */
export function originOf(url: string | null | undefined): string {
  if (!url) return 'unknown';
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return 'invalid';
  }
}

export interface HttpMetrics {
  requests: Counter<'method' | 'route' | 'status'>;
  duration: Histogram<'method' | 'route'>;
}

export function httpMetrics(registry: Registry): HttpMetrics {
  return {
    requests: new Counter({
      name: 'ferry_http_requests_total',
      help: 'HTTP requests answered, by route template and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'ferry_http_request_duration_seconds',
      help: 'HTTP request handling time, by route template',
      labelNames: ['method', 'route'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
  };
}
