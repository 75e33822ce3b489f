import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../log.ts';
import { findExecutable } from '../../runtime/local.ts';

/** The Maven project that runs Neo4j 5 (LTS) in one JVM with its Bolt connector. */
export const NEO4J_TOOL_DIR = fileURLToPath(new URL('../../../../tools/neo4j-embedded/', import.meta.url));

export interface StartEmbeddedNeo4jOptions {
  log: Logger;
  /** building (first Maven download included) and starting; default 10 min */
  buildTimeoutMs?: number;
  /** from spawn to the READY line; default 180 s (a generous bound: a JVM on a loaded machine) */
  startTimeoutMs?: number;
}

export interface RunningNeo4j {
  /** `bolt://127.0.0.1:<port>`, authentication disabled */
  url: string;
  /** stops the JVM and removes its data directory; safe to call twice */
  stop(): Promise<void>;
}

export class EmbeddedNeo4jError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmbeddedNeo4jError';
  }
}

/** Why the embedded server cannot be started here, or null when java and mvn are on PATH. */
export function embeddedNeo4jUnavailable(): string | null {
  const missing = ['java', 'mvn'].filter((b) => findExecutable(b) === null);
  return missing.length > 0 ? `${missing.join(' and ')} not on PATH` : null;
}

const mtime = async (path: string): Promise<number> =>
  stat(path).then(
    (s) => s.mtimeMs,
    () => -1,
  );

/** Rewritten by every `mvn package` (forceCreation), unlike the classpath file when unchanged. */
const STAMP = 'target/neo4j-embedded.jar';

/** Built when the last successful build is newer than the pom and the source. */
async function upToDate(): Promise<boolean> {
  const at = (p: string): Promise<number> => mtime(join(NEO4J_TOOL_DIR, p));
  const [stamp = -1, cp = -1, pom = 0, src = 0] = await Promise.all([STAMP, 'target/cp.txt', 'pom.xml', 'src/main/java/Main.java'].map(at));
  return cp > 0 && stamp > Math.max(pom, src);
}

async function run(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<void> {
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  child.on('error', () => undefined); // reported through the promise below; a later one (a failed kill) must not end the process
  const out: string[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => out.push(b.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    if (code !== 0) throw new EmbeddedNeo4jError(`${cmd} ${args.join(' ')} failed (${code}): ${out.join('').slice(-2000)}`);
  } finally {
    clearTimeout(timer);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Holds a directory lock around `fn`, so test files starting Neo4j in parallel processes build
 * once instead of running Maven over each other. A lock older than `staleMs` is a dead builder's.
 */
async function withBuildLock<T>(staleMs: number, fn: () => Promise<T>): Promise<T> {
  const lock = join(NEO4J_TOOL_DIR, '.build-lock');
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const since = await mtime(lock);
      if (since > 0 && Date.now() - since > staleMs) await rm(lock, { recursive: true, force: true });
      else await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/** `mvn -q -B package` in the tool directory, unless its output is newer than its sources. */
export async function buildEmbeddedNeo4j(log: Logger, timeoutMs = 600_000): Promise<void> {
  if (await upToDate()) return;
  await withBuildLock(timeoutMs, async () => {
    if (await upToDate()) return; // another process built it while we waited
    const started = Date.now();
    log.info({ dir: NEO4J_TOOL_DIR }, 'building embedded neo4j');
    await run('mvn', ['-q', '-B', 'package'], NEO4J_TOOL_DIR, timeoutMs);
    log.info({ ms: Date.now() - started }, 'embedded neo4j built');
  });
}

const exited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null;

async function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Resolves with the READY line's URL, or rejects when the JVM exits or the deadline passes. */
async function waitForReady(child: ChildProcess, lines: NodeJS.EventEmitter, tail: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      lines.off('line', onLine);
    };
    const fail = (why: string): void => {
      done();
      reject(new EmbeddedNeo4jError(`embedded neo4j did not start: ${why}: ${tail.join(' | ').slice(-2000) || 'no output'}`));
    };
    const onLine = (line: string): void => {
      const ready = /^READY (\S+)$/.exec(line.trim());
      if (ready?.[1] === undefined) return;
      done();
      resolve(ready[1]);
    };
    const timer = setTimeout(() => fail(`no READY line within ${timeoutMs} ms`), timeoutMs);
    lines.on('line', onLine);
    child.once('exit', (code, signal) => fail(`exited (${code ?? signal})`));
    child.once('error', (err) => fail(err.message));
  });
}

async function startOnce(o: StartEmbeddedNeo4jOptions, classpath: string): Promise<RunningNeo4j> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mandant-neo4j-'));
  const log = o.log.child({ component: 'neo4j-embedded' });
  const started = Date.now();
  // A small heap and the serial collector: a test server on a shared two-core machine. Port 0:
  // Bolt binds a port the OS picks, and the READY line names it.
  const args = ['-Xms128m', '-Xmx768m', '-XX:+UseSerialGC', '-cp', classpath, 'Main', '0', dataDir];
  const child = spawn('java', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  // A failed spawn or kill, or closing the stdin of a JVM already gone (EPIPE), is an 'error'
  // event: heard here for the child's whole life, so none of them can end this process.
  child.on('error', (err) => log.warn({ err }, 'neo4j process error'));
  child.stdin.on('error', (err) => log.debug({ err }, 'neo4j stdin closed'));
  const tail: string[] = [];
  const stdout = createInterface({ input: child.stdout });
  for (const lines of [stdout, createInterface({ input: child.stderr })]) {
    lines.on('line', (line) => {
      tail.push(line);
      if (tail.length > 30) tail.shift();
      log.debug({ line }, 'neo4j output');
    });
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (!exited(child)) {
        // Closing stdin makes the JVM halt at once; a SIGTERM would spend ~10 s draining Bolt
        // for a database that is deleted right after.
        child.stdin.end();
        if (!(await waitForExit(child, 5_000))) {
          log.warn('neo4j did not halt on end of input; killing');
          child.kill('SIGKILL');
          await waitForExit(child, 5_000);
        }
      }
      await rm(dataDir, { recursive: true, force: true });
      log.info('embedded neo4j stopped');
    })();
    return stopping;
  };

  try {
    const url = await waitForReady(child, stdout, tail, o.startTimeoutMs ?? 180_000);
    log.info({ ms: Date.now() - started, url }, 'embedded neo4j started');
    return { url, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Builds `tools/neo4j-embedded` once (skipped while up to date), starts it on 127.0.0.1 with a
 * fresh data directory and Bolt on a port it binds itself (port 0: no free port is guessed, so
 * none can be taken before the bind), and resolves with the URL the JVM reports once the default
 * database takes queries.
 * The JVM also exits when its standard input closes, so it dies with this process even when
 * this process is killed without calling stop().
 */
export async function startEmbeddedNeo4j(o: StartEmbeddedNeo4jOptions): Promise<RunningNeo4j> {
  await buildEmbeddedNeo4j(o.log, o.buildTimeoutMs);
  const deps = (await readFile(join(NEO4J_TOOL_DIR, 'target/cp.txt'), 'utf8')).trim();
  const classpath = `${join(NEO4J_TOOL_DIR, 'target/classes')}${delimiter}${deps}`;
  return startOnce(o, classpath);
}
