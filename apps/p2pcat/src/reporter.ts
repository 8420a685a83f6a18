// What the user sees on standard error: plain lines, a progress bar on a terminal, or JSON lines.
// Every line goes through escapeForTerminal: some carry text from the peer (an ABORT reason, file
// names), and a line of ours has no control character to lose.
import { SingleBar } from 'cli-progress';
import { escapeForTerminal } from './escape.js';
import { formatBytes } from './files-receiver.js';
import type { SessionProgress } from './session.js';

export interface ReporterOptions {
  json: boolean;
  verbose: boolean;
  quiet: boolean;
  isTty: boolean;
}

export class Reporter {
  private bar: SingleBar | undefined;
  private lastJson = 0;
  path = '';
  rttMs: number | undefined;

  constructor(
    private readonly o: ReporterOptions,
    private readonly out: NodeJS.WritableStream = process.stderr,
  ) {}

  /** A line everyone sees (not with --quiet or --json). */
  info(line: string): void {
    if (this.o.json || this.o.quiet) return;
    this.clearBar();
    this.out.write(`${escapeForTerminal(line)}\n`);
  }

  /** A line only -v shows. */
  detail(line: string): void {
    if (this.o.verbose && !this.o.json) {
      this.clearBar();
      this.out.write(`  ${escapeForTerminal(line)}\n`);
    }
  }

  /** Always shown (JSON as an event): tokens and errors. */
  always(line: string): void {
    this.clearBar();
    this.out.write(`${escapeForTerminal(line)}\n`);
  }

  event(name: string, fields: Record<string, unknown> = {}): void {
    if (this.o.json) this.out.write(`${JSON.stringify({ event: name, time: Date.now(), ...fields })}\n`);
  }

  progress(p: SessionProgress): void {
    if (this.o.json) {
      const now = Date.now();
      if (now - this.lastJson >= 500) {
        this.lastJson = now;
        this.event('progress', { ...p });
      }
      return;
    }
    if (this.o.quiet || !this.o.isTty) return;
    const total = p.totalToSend ?? p.totalToReceive ?? 0;
    const value =
      p.totalToSend !== undefined
        ? p.bytesSent
        : p.totalToReceive !== undefined
          ? p.bytesReceived
          : p.bytesSent + p.bytesReceived;
    if (!this.bar) {
      this.bar = new SingleBar({
        format: total
          ? '{bar} {percentage}% | {done} | {speed}/s | ETA {eta_formatted} | {path}{rtt}'
          : '{done} | {speed}/s | {path}{rtt}',
        hideCursor: true,
        stream: this.out as NodeJS.WriteStream,
        etaBuffer: 50,
        fps: 5,
      });
      this.bar.start(total || 1, 0, this.payload(0));
      this.started = Date.now();
    }
    this.bar.setTotal(total || Math.max(value, 1));
    this.bar.update(value, this.payload(value));
  }

  private started = 0;
  private payload(value: number) {
    const secs = Math.max(0.001, (Date.now() - this.started) / 1000);
    return {
      done: formatBytes(value),
      speed: formatBytes(value / secs),
      path: this.path,
      rtt: this.rttMs === undefined ? '' : ` | RTT ${Math.round(this.rttMs)} ms`,
    };
  }

  private statusShown = false;

  /**
   * A line that replaces itself on a terminal (a countdown); elsewhere nothing (the caller said it
   * once with info()). Any other output first ends it.
   */
  status(line: string): void {
    if (this.o.json || this.o.quiet || !this.o.isTty) return;
    this.clearBar();
    this.out.write(`\r\x1b[K${escapeForTerminal(line)}`);
    this.statusShown = true;
  }

  private clearBar(): void {
    if (this.statusShown) {
      this.statusShown = false;
      this.out.write('\r\x1b[K');
    }
    if (this.bar) {
      this.bar.stop();
      this.bar = undefined;
    }
  }

  finish(): void {
    this.clearBar();
  }
}
