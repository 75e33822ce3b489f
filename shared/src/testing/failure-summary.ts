import type { Reporter, SerializedError, TestModule, TestSuite } from 'vitest/node';

/**
 * A reporter that ends a run with one `FAILED: <file> (<reason>)` line per failed test file, and
 * the slowest files. Vitest's own summary counts the tests of a file whose `beforeAll` failed as
 * skipped, and reports a failed hook far from the end of a long log; CI greps these lines
 * (`.ci/run`) so a broken suite can never read as a skipped one.
 */
export default class FailureSummary implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandled: ReadonlyArray<SerializedError>): void {
    const lines: string[] = [];
    for (const m of modules) {
      if (m.state() !== 'failed' && m.errors().length === 0) continue;
      const failed = [...m.children.allTests('failed')];
      const notRun = [...m.children.allTests('skipped')].length;
      const reason = failureReason(m);
      const counts = [`${failed.length} failed`, ...(notRun > 0 ? [`${notRun} not run or skipped`] : [])].join(', ');
      lines.push(`FAILED: ${m.project.name}/${m.relativeModuleId} (${reason}) [${counts}]`);
      for (const t of failed) lines.push(`  failed: ${t.fullName} (${firstLine(t.result().errors?.[0])})`);
    }
    for (const e of unhandled) lines.push(`FAILED: unhandled error (${firstLine(e)})`);
    const slowest = [...modules].sort((a, b) => b.diagnostic().duration - a.diagnostic().duration).slice(0, 10);
    const out = [
      '',
      'slowest test files:',
      ...slowest.map((m) => `  ${(m.diagnostic().duration / 1000).toFixed(1).padStart(7)} s  ${m.project.name}/${m.relativeModuleId}`),
      ...(lines.length > 0 ? ['', ...lines] : []),
      '',
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  }
}

/** The first error of the file: its own (collection, import), a failed hook's, else a failed test's. */
function failureReason(m: TestModule): string {
  const own = m.errors()[0];
  if (own) return firstLine(own);
  const suites: (TestSuite | TestModule)[] = [...m.children.allSuites()];
  for (const s of suites) {
    const e = s.errors()[0];
    if (e) return `${s.type === 'suite' ? `${s.name}: ` : ''}${firstLine(e)}`;
  }
  const test = m.children.allTests('failed').next().value;
  return test ? `${test.name}: ${firstLine(test.result().errors?.[0])}` : 'failed';
}

const ansi = /\u001b\[[0-9;]*m/g;

function firstLine(e: SerializedError | undefined): string {
  if (!e) return 'no error recorded';
  const text = `${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message ?? JSON.stringify(e)}`.replace(ansi, '');
  const line = text.split('\n').find((l) => l.trim() !== '') ?? text;
  return line.length > 300 ? `${line.slice(0, 300)}…` : line.trim();
}
