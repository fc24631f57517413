import { subscribe } from 'node:diagnostics_channel';
import { context, propagation, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { TracingConfig } from './config.js';

export { SpanKind } from '@opentelemetry/api';

/**
 * The tracer provider is process-wide (OpenTelemetry's API is global): the first app of a process
 * that has tracing on installs it; apps run in one process (tests, the demo) share it and name
 * themselves by their tracer (instrumentation scope = the app's service name).
 */
let provider: NodeTracerProvider | undefined;
let active = false;

export function tracingActive(): boolean {
  return active;
}

export function setupTracing(config: TracingConfig, service: string): void {
  if (!config.enabled || provider) {
    active ||= config.enabled;
    return;
  }
  const exporter: SpanExporter | undefined =
    config.exporter === 'otlp'
      ? new OTLPTraceExporter({ url: config.otlpUrl })
      : config.exporter === 'console'
        ? new ConsoleSpanExporter()
        : undefined;
  install(service, exporter ? [new BatchSpanProcessor(exporter)] : [], config.sampleRatio);
}

/**
 * A worker thread: no spans of its own (they could not reach the main thread's exporter), only the
 * context manager and propagator, so that its HTTP calls carry the parent it was handed.
 */
export function setupPropagationOnly(service: string): void {
  if (!provider) install(service, [], 0);
}

/** Tests: every span to `exporter` as soon as it ends (an InMemorySpanExporter). */
export function setupTestTracing(exporter: SpanExporter, service = 'ferry-test'): void {
  if (provider) throw new Error('tracing is already set up in this process');
  install(service, [new SimpleSpanProcessor(exporter)], 1);
}

export async function shutdownTracing(): Promise<void> {
  await provider?.shutdown();
  provider = undefined;
  active = false;
  trace.disable();
  context.disable();
  propagation.disable();
}

function install(service: string, spanProcessors: SpanProcessor[], ratio: number): void {
  provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) }),
    spanProcessors,
  });
  // Sets the AsyncLocalStorage context manager and the W3C trace-context propagator globally.
  provider.register();
  active = true;
  injectIntoUndici();
}

let undiciHooked = false;

/**
 * Every undici request made while a span is active carries its `traceparent` (dispatches, polls,
 * the consumer's calls to the provider), unless the caller set one itself (the outbox, which
 * sends later on behalf of a job, sets the job's).
 */
export function injectIntoUndici(): void {
  if (undiciHooked) return;
  undiciHooked = true;
  subscribe('undici:request:create', (message) => {
    const request = (message as { request: { headers: unknown; addHeader(k: string, v: string): void } }).request;
    const headers = request.headers;
    if (Array.isArray(headers)) {
      for (let i = 0; i < headers.length; i += 2) if (String(headers[i]).toLowerCase() === 'traceparent') return;
    } else if (typeof headers === 'string' && /(^|\r\n)traceparent:/i.test(headers)) return;
    const carrier: Record<string, string> = {};
    propagation.inject(context.active(), carrier);
    for (const [k, v] of Object.entries(carrier)) request.addHeader(k, v);
  });
}

export function currentTraceId(): string | undefined {
  if (!active) return undefined;
  const ctx = trace.getSpan(context.active())?.spanContext();
  return ctx && ctx.traceFlags !== undefined && ctx.traceId !== '00000000000000000000000000000000'
    ? ctx.traceId
    : undefined;
}

/** The active span as a W3C `traceparent`, to carry in a queue job or a worker task. */
export function currentTraceparent(): string | undefined {
  if (!active) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/**
 * Runs `fn` in a new span, child of `parent` (a traceparent from a job or a header) or, without
 * one, of the active span. With tracing off it just runs `fn`.
 */
export async function inSpan<T>(
  service: string,
  name: string,
  opts: { parent?: string; kind?: SpanKind; attributes?: Record<string, string | number | boolean | undefined> },
  fn: (span?: Span) => Promise<T>,
): Promise<T> {
  if (!active) return fn();
  const parentCtx = opts.parent ? propagation.extract(ROOT_CONTEXT, { traceparent: opts.parent }) : context.active();
  const attributes = Object.fromEntries(
    Object.entries(opts.attributes ?? {}).filter(([, v]) => v !== undefined),
  ) as Record<string, string | number | boolean>;
  return trace
    .getTracer(service)
    .startActiveSpan(name, { kind: opts.kind ?? SpanKind.INTERNAL, attributes }, parentCtx, async (span) => {
      try {
        return await fn(span);
      } catch (err) {
        // BullMQ's DelayedError only means "run me again later".
        if ((err as Error)?.name === 'DelayedError') throw err;
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
        throw err;
      } finally {
        span.end();
      }
    });
}

/** Runs `fn` with `traceparent` as the active (remote) parent, without a span of its own: for a worker thread. */
export function withRemoteParent<T>(traceparent: string | undefined, fn: () => T): T {
  if (!traceparent) return fn();
  return context.with(propagation.extract(ROOT_CONTEXT, { traceparent }), fn);
}
