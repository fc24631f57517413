import { describe, expect, it } from '@jest/globals';
import { redacted } from './redact.js';

describe('redacted', () => {
  it('replaces secret-named properties at any depth and keeps the rest', () => {
    const input = {
      name: 'p',
      secret: 's3cr3t',
      nested: [{ password: 'pw', passwordHash: 'h', privateKey: 'k', csrfToken: 't', kid: 'k1' }],
      scopes: ['a'],
    };
    expect(redacted(input)).toEqual({
      name: 'p',
      secret: '[redacted]',
      nested: [
        {
          password: '[redacted]',
          passwordHash: '[redacted]',
          privateKey: '[redacted]',
          csrfToken: '[redacted]',
          kid: 'k1',
        },
      ],
      scopes: ['a'],
    });
    expect(input.secret).toBe('s3cr3t');
  });

  it('keeps flags and nulls under secret-like names: they tell what happened, not the secret', () => {
    expect(redacted({ passwordChanged: true, secret: null })).toEqual({ passwordChanged: true, secret: null });
  });

  it('passes scalars and null through', () => {
    expect(redacted(null)).toBeNull();
    expect(redacted('x')).toBe('x');
    expect(redacted(3)).toBe(3);
  });
});
