import type { ObservabilityOverrides } from '#ferry/observability';
import type { AlertChannelPorts } from '../alerts/alert-channels.js';
import type { DownstreamPort } from '../dispatch/downstream.client.js';

/** The scheduler's configuration (SchedulerConfig), read once at boot. */
export const SCHEDULER_CONFIG = Symbol('SCHEDULER_CONFIG');
/** What tests swap: the downstream, the clock, alert channels, where log lines go. */
export const SCHEDULER_OVERRIDES = Symbol('SCHEDULER_OVERRIDES');
/** The clock every decision reads (ms since the epoch). */
export const CLOCK = Symbol('CLOCK');
/** The producer connection to Redis (fails fast): queues, the target guard, readiness. */
export const REDIS = Symbol('REDIS');

export type Clock = () => number;

export interface RuntimeOverrides {
  downstream?: DownstreamPort;
  clock?: Clock;
  /** Swap alert channels (e.g. a log channel that records its lines). */
  alertChannels?: Partial<AlertChannelPorts>;
  /** Where log lines go (tests capture them). */
  observability?: ObservabilityOverrides;
}
