import { describe, expect, it } from '@jest/globals';
import { callbackCallers, mayCallBack } from './callback-binding.js';

describe('mayCallBack', () => {
  const defaults = ['ferry-consumer'];

  it("admits only the target's own clients when it names some, the default ones not among them", () => {
    const target = { callbackClients: ['ledger', 'ledger-2'] };
    expect(mayCallBack(target, 'ledger', defaults)).toBe(true);
    expect(mayCallBack(target, 'ledger-2', defaults)).toBe(true);
    expect(mayCallBack(target, 'ferry-consumer', defaults)).toBe(false);
    expect(mayCallBack(target, 'ledgerx', defaults)).toBe(false);
  });

  it('admits the default clients for a target that names none (stored before the field existed)', () => {
    expect(mayCallBack({}, 'ferry-consumer', defaults)).toBe(true);
    expect(mayCallBack({}, 'ledger', defaults)).toBe(false);
  });

  it('admits nobody without a verified client', () => {
    expect(mayCallBack({}, undefined, defaults)).toBe(false);
    expect(mayCallBack({ callbackClients: ['ledger'] }, undefined, defaults)).toBe(false);
  });
});

describe('callbackCallers', () => {
  it('lists the clients configured with callbacks:write', () => {
    const keys = [{ alg: 'HS256' as const, secret: 's' }];
    const callers = callbackCallers([
      { clientId: 'ledger', keys, scopes: ['callbacks:write', 'data:read'] },
      { clientId: 'erp', keys, scopes: ['triggers:write'] },
    ]);
    expect([...callers]).toEqual(['ledger']);
  });
});
