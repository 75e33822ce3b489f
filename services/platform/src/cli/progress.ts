/**
 * A progress bar on stderr: redrawn in place on a terminal, a line per tenth otherwise (logs,
 * CI). Figures go to stdout, so piping a command's output never carries the bar.
 */
export interface ProgressBar {
  update(done: number): void;
  finish(done: number): void;
}

export function progressBar(label: string, total: number, out: NodeJS.WriteStream = process.stderr): ProgressBar {
  const started = Date.now();
  const width = 30;
  let lastTenth = -1;
  const line = (done: number) => {
    const ratio = total === 0 ? 1 : Math.min(1, done / total);
    const filled = Math.round(ratio * width);
    const seconds = (Date.now() - started) / 1000;
    const rate = seconds > 0 ? Math.round(done / seconds) : 0;
    return `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}% ${done}/${total} events ${rate} ev/s`;
  };
  return {
    update(done) {
      if (out.isTTY) {
        out.write(`\r${line(done)}`);
        return;
      }
      const tenth = total === 0 ? 10 : Math.floor((done / total) * 10);
      if (tenth > lastTenth) {
        lastTenth = tenth;
        out.write(`${line(done)}\n`);
      }
    },
    finish(done) {
      out.write(out.isTTY ? `\r${line(done)}\n` : `${line(done)}\n`);
    },
  };
}
