import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PROMETHEUS_DIR, prometheusTool } from './tools.ts';

const run = promisify(execFile);
const promtool = prometheusTool('promtool');

/**
 * deploy/prometheus/rules.yml is valid for Prometheus and its alerts behave as rules.test.yml
 * says: each fires on synthetic series above its threshold, after its `for:`, and stays quiet below.
 */
describe.skipIf(!promtool)('alert and recording rules', () => {
  it('pass `promtool check rules`', async () => {
    const { stdout } = await run(promtool ?? 'promtool', ['check', 'rules', 'rules.yml'], { cwd: PROMETHEUS_DIR });
    expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('load from the example prometheus.yml (`promtool check config`)', async () => {
    const { stdout } = await run(promtool ?? 'promtool', ['check', 'config', 'prometheus.yml'], { cwd: PROMETHEUS_DIR });
    expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('pass their unit tests, `promtool test rules rules.test.yml`', async () => {
    const result = await run(promtool ?? 'promtool', ['test', 'rules', 'rules.test.yml'], { cwd: PROMETHEUS_DIR }).catch(
      (err: { stdout?: string; stderr?: string }) => ({ stdout: `${err.stdout ?? ''}${err.stderr ?? ''}`, failed: true }),
    );
    expect(result.stdout).toContain('SUCCESS');
    expect('failed' in result).toBe(false);
  }, 60_000);

  it('fail the check on a broken rule (the check is real)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mandant-rules-'));
    try {
      const rules = await readFile(join(PROMETHEUS_DIR, 'rules.yml'), 'utf8');
      await writeFile(
        join(dir, 'rules.yml'),
        rules.replace('expr: mandant:projector_dead_letters:max > 0', 'expr: mandant:projector_dead_letters:max >'),
      );
      const bad = await run(promtool ?? 'promtool', ['check', 'rules', 'rules.yml'], { cwd: dir }).catch(
        (err: { stdout?: string; stderr?: string }) => `refused ${err.stdout ?? ''}${err.stderr ?? ''}`,
      );
      expect(bad).toMatch(/^refused .*FAILED/s);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
