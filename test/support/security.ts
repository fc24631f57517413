import { randomBytes } from 'node:crypto';
import { expect } from '@jest/globals';
import { Scope } from '#ferry/contracts';
import type { JsonResponse } from '#ferry/testing';

/** A refusal in the contract's shape: the status, the code and exactly {error: {code, message, details}}. */
export function refusal(
  res: JsonResponse,
  status: number,
  code: string,
): { message: string; details: Array<{ path: string; problem: string }> } {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
  expect(Object.keys(res.body)).toEqual(['error']);
  expect(Object.keys(res.body.error).sort()).toEqual(['code', 'details', 'message']);
  expect(Array.isArray(res.body.error.details)).toBe(true);
  return res.body.error;
}

/** The refusal's message, after checking its shape (see `refusal`). */
export const expectRefused = (res: JsonResponse, status: number, code: string): string =>
  refusal(res, status, code).message;

/** A secret good enough outside development mode (32 bytes or more, not the development one). */
export const STRONG_SECRET = 'a-production-secret-of-at-least-32-bytes-0123456789';

/**
 * What a scheduler needs to start outside development mode: its own clients (here one operator, `ops`,
 * signing with STRONG_SECRET), its signing secret and a key that seals auth profiles.
 */
export function productionSchedulerEnv(): Record<string, string> {
  return {
    FERRY_DEV_MODE: 'false',
    FERRY_SCHEDULER_CLIENTS: JSON.stringify([
      { clientId: 'ops', keys: [{ alg: 'HS256', secret: STRONG_SECRET }], scopes: [Scope.adminRead, Scope.adminWrite] },
    ]),
    FERRY_SCHEDULER_OUTBOUND_SECRET: STRONG_SECRET,
    FERRY_SCHEDULER_SECRET_KEYS: JSON.stringify({ k1: randomBytes(32).toString('base64') }),
  };
}
