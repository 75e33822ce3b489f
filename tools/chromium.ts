import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The names a Chromium build goes by on PATH: Debian's package, Ubuntu's, Google's. */
const NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The Chromium the console's browser tests and benchmark drive (playwright-core and Lighthouse
 * launch it by path: browser downloads are not part of the build). `CHROMIUM_PATH` when set
 * (and then it must exist), else the first of the usual names on PATH; null when there is none.
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | null {
  const configured = env.CHROMIUM_PATH?.trim();
  if (configured) return executable(configured) ? configured : null;
  const dirs = (env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const name of NAMES) {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      if (executable(candidate)) return candidate;
    }
  }
  return null;
}

/**
 * For a browser suite at collection time: the executable, or null after printing the marker
 * CI fails on (`SKIPPED-BROWSER: chromium not found`), so no browser suite skips silently.
 */
export function chromiumOrSkip(): string | null {
  const found = findChromium();
  if (!found)
    process.stderr.write(
      `SKIPPED-BROWSER: chromium not found${process.env.CHROMIUM_PATH ? ` (CHROMIUM_PATH=${process.env.CHROMIUM_PATH})` : ''}\n`,
    );
  return found;
}
