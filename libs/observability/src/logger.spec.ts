import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { createLogger, NestPinoLogger, scrub } from './logger.js';

const config = { level: 'info', format: 'json', requests: true, taskMoves: true } as const;

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _e, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, stream };
}

describe('logger redaction', () => {
  it('removes secrets passed as fields, however deep', async () => {
    const { lines, stream } = capture();
    const log = await createLogger('t', config, stream);
    log.info(
      {
        req: { headers: { authorization: 'Bearer abc.def.ghi' } },
        profile: { name: 'p', secret: 's3cret-value' },
        target: { key: { secret: 'k3y' } },
        password: 'pw-1',
        nested: { a: { token: 'tok-1' } },
      },
      'x',
    );
    const text = lines.join('');
    for (const s of ['abc.def.ghi', 's3cret-value', 'k3y', 'pw-1', 'tok-1']) expect(text).not.toContain(s);
    expect(text).toContain('"name":"p"');
  });

  it('scrubs bearer tokens, JWTs and URL credentials from free text (Nest messages)', async () => {
    const { lines, stream } = capture();
    new NestPinoLogger(await createLogger('t', config, stream)).warn(
      'call failed: Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln smtp://u:hunter2@mail:587',
      'Ctx',
    );
    const text = lines.join('');
    expect(text).not.toContain('eyJhbGci');
    expect(text).not.toContain('hunter2');
    expect(text).toContain('"context":"Ctx"');
    expect(scrub('password=abc&x=1')).toBe('password=[REDACTED]&x=1');
  });
});
