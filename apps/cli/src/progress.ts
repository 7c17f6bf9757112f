import { SingleBar } from 'cli-progress';
import type { Io } from './output';

/**
 * Progress of long work on stderr: a bar when stderr is a terminal, otherwise one line per change
 * (so logs of scripted use stay readable). Silent in --json mode.
 */
export class Progress {
  private bar: SingleBar | undefined;
  private lastLine = '';
  private label = '';

  constructor(
    private readonly io: Io,
    private readonly enabled: boolean,
  ) {}

  update(label: string, value: number, total: number, detail: string): void {
    if (!this.enabled) return;
    if (this.io.stderr.isTTY) {
      if (!this.bar || label !== this.label) {
        this.bar?.stop();
        this.bar = new SingleBar({
          stream: this.io.stderr,
          format: `${label} [{bar}] {value}/{total} {detail}`,
          barsize: 30,
          hideCursor: true,
          clearOnComplete: false,
        });
        this.bar.start(Math.max(total, 1), value, { detail });
        this.label = label;
      }
      this.bar.setTotal(Math.max(total, 1));
      this.bar.update(value, { detail });
      return;
    }
    const line = `${label}: ${value}/${total} ${detail}`.trim();
    if (line !== this.lastLine) this.io.stderr.write(`${line}\n`);
    this.lastLine = line;
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}
