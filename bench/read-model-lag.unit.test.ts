import { describe, expect, it } from 'vitest';
import { readModelLags, versusGoal } from './src/read-model-lag.ts';

const ev = (seq: number, type: string, committedAt: number) => ({ tenantId: 't', seq, type, committedAt });

describe('readModelLags', () => {
  const models = [
    { key: 'views', handles: (t: string) => t.startsWith('project.') },
    { key: 'vectors', handles: (t: string) => t.startsWith('document.') },
  ];
  // the projector's checkpoint: first seen at position 2 at t=150, at 3 at t=400
  const seen: Record<string, Array<[number, number]>> = {
    views: [
      [2, 150],
      [3, 400],
    ],
    vectors: [
      [1, 90],
      [3, 1000],
    ],
  };
  const reachedAt = (key: string, _t: string, seq: number) => seen[key]?.find(([p]) => p >= seq)?.[1];

  it('counts each event for the models that handle it, from its commit to the first sight of its position', () => {
    const a = ev(1, 'project.created.v1', 100);
    const b = ev(2, 'document.uploaded.v1', 120);
    const c = ev(3, 'project.updated.v1', 300);
    const { perModel, slowest } = readModelLags(models, [a, b, c], reachedAt);
    expect(perModel).toEqual([[50, 100], [880]]);
    // the slowest model per event counts every model, handled or not (a checkpoint passes what it ignores)
    expect([...slowest.values()]).toEqual([50, 880, 700]);
  });

  it('counts a position seen before the append call returned as no lag, and one never seen not at all', () => {
    const early = ev(1, 'document.uploaded.v1', 95);
    const never = ev(4, 'document.uploaded.v1', 10);
    const { perModel, slowest } = readModelLags(models, [early, never], reachedAt);
    expect(perModel[1]).toEqual([0]);
    expect(slowest.has(never)).toBe(false);
  });
});

describe('versusGoal', () => {
  it('states the ratio to the goal and whether it is met', () => {
    expect(versusGoal(830, 10, 1000)).toBe('0.83× met');
    expect(versusGoal(1000, 10, 1000)).toBe('1.00× NOT met');
    expect(versusGoal(Number.NaN, 0, 1000)).toBe('-');
  });
});
