import { describe, expect, it } from '@jest/globals';
import { findCycle } from './dependency-graph.js';

const graph = (edges: Record<string, string[]>) => new Map(Object.entries(edges));

describe('findCycle', () => {
  it('finds none in a diamond, however it is saved', () => {
    const stored = graph({ b: ['a'], c: ['a'] });
    expect(findCycle(stored, 'd', ['b', 'c'])).toBeUndefined();
    expect(findCycle(graph({ b: ['a'], c: ['a'], d: ['b', 'c'] }), 'a', [])).toBeUndefined();
  });

  it('names a definition that depends on itself', () => {
    expect(findCycle(graph({}), 'a', ['a'])).toEqual(['a', 'a']);
  });

  it('names the cycle a new edge closes, from the saved definition back to itself', () => {
    const stored = graph({ b: ['a'], c: ['b'], d: ['c'] });
    expect(findCycle(stored, 'a', ['d'])).toEqual(['a', 'd', 'c', 'b', 'a']);
  });

  it('walks only what the new upstreams reach', () => {
    const stored = graph({ b: ['a'], x: ['y'], y: ['x2'] });
    expect(findCycle(stored, 'a', ['x'])).toBeUndefined();
    expect(findCycle(stored, 'a', ['x', 'b'])).toEqual(['a', 'b', 'a']);
  });

  it("replaces the saved definition's own stored edges with the new ones", () => {
    // a used to depend on b; saving a without it while b depends on a is no cycle.
    const stored = graph({ b: ['a'] });
    expect(findCycle(stored, 'a', [])).toBeUndefined();
  });

  it('ends on a shared upstream reached twice (no exponential walk)', () => {
    const edges: Record<string, string[]> = {};
    for (let i = 1; i < 40; i++) edges[`n${i}`] = [`n${i - 1}`, `m${i - 1}`];
    for (let i = 1; i < 40; i++) edges[`m${i}`] = [`n${i - 1}`, `m${i - 1}`];
    expect(findCycle(graph(edges), 'z', ['n39', 'm39'])).toBeUndefined();
  });
});
