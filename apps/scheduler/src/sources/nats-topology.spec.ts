import { describe, expect, it } from '@jest/globals';
import { natsTopology, subjectMatches } from './nats-topology.js';
import type { NatsSourceConfig } from './trigger-source.js';

const config = (more: Partial<NatsSourceConfig> = {}): NatsSourceConfig => ({
  type: 'nats',
  servers: 'nats://127.0.0.1:4222',
  stream: 'TRIGGERS',
  subject: 'ferry.triggers',
  consumer: 'ferry',
  sources: ['billing'],
  ...more,
});

describe('natsTopology', () => {
  it('applies the defaults: five deliveries, 30 s ack wait, dead letters on <subject>.dead', () => {
    expect(natsTopology(config())).toEqual({
      stream: 'TRIGGERS',
      subject: 'ferry.triggers',
      consumer: 'ferry',
      maxDeliver: 5,
      ackWaitMs: 30_000,
      deadLetterSubject: 'ferry.triggers.dead',
      deadLetterStream: 'TRIGGERS_DEAD',
    });
  });

  it('takes what is configured', () => {
    const t = natsTopology(config({ maxDeliver: 2, ackWaitSeconds: 5, deadLetterSubject: 'dlq.triggers' }));
    expect(t).toMatchObject({ maxDeliver: 2, ackWaitMs: 5000, deadLetterSubject: 'dlq.triggers' });
  });

  it('wants a dead-letter subject for a subject with wildcards, and one the source would not read again', () => {
    expect(() => natsTopology(config({ subject: 'ferry.*' }))).toThrow(/deadLetterSubject must be given/);
    expect(() => natsTopology(config({ subject: 'ferry.>', deadLetterSubject: 'ferry.dead' }))).toThrow(
      /would be read again/,
    );
    expect(natsTopology(config({ subject: 'ferry.>', deadLetterSubject: 'dead.ferry' })).deadLetterSubject).toBe(
      'dead.ferry',
    );
  });
});

describe('subjectMatches', () => {
  it.each([
    ['a.b', 'a.b', true],
    ['a.b', 'a.b.c', false],
    ['a.*', 'a.b', true],
    ['a.*', 'a.b.c', false],
    ['a.>', 'a.b.c', true],
    ['a.>', 'a', false],
    ['*.b', 'a.b', true],
    ['a.b.c', 'a.b', false],
  ])('%s takes %s: %s', (pattern, subject, expected) => {
    expect(subjectMatches(pattern, subject)).toBe(expected);
  });
});
