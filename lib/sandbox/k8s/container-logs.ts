// What the node keeps of a container's output, as the CRI log file does (each line with the time the
// runtime read it), and how the kubelet reads it back for GET .../log: sinceSeconds/sinceTime, tailLines,
// timestamps, limitBytes, and follow (keep writing lines as the container prints them until it exits).

export interface LogLine {
  /** When the runtime read the line (ms since the epoch). */
  at: number;
  /** The line without its newline. */
  text: string;
}

export interface ContainerLogState {
  lines: LogLine[];
  /** The container exited: nothing more will be written. */
  ended: boolean;
}

export interface LogReadOptions {
  follow?: boolean;
  timestamps?: boolean;
  tailLines?: number;
  /** Lines read before this time (ms since the epoch) are left out. */
  sinceMs?: number;
  limitBytes?: number;
}

/**
 * Go's time.RFC3339Nano for a UTC instant: fraction without trailing zeros, none when it is zero
 * (`2026-01-02T03:04:05.12Z`, `2026-01-02T03:04:05Z`), as the kubelet prefixes lines with `timestamps=true`.
 */
export function rfc3339Nano(ms: number): string {
  const iso = new Date(ms).toISOString();
  const fraction = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 19)}${fraction ? `.${fraction}` : ''}Z`;
}

export class ContainerLog {
  private readonly lines: LogLine[];
  private ended: boolean;
  private readonly waiting = new Set<() => void>();

  constructor(state: ContainerLogState = { lines: [], ended: false }) {
    this.lines = [...state.lines];
    this.ended = state.ended;
  }

  /** The container printed `output`: one line per newline; a last line without one ends at exit. */
  write(output: string, at: number): void {
    if (output === '') return;
    const parts = output.split('\n');
    if (parts.at(-1) === '') parts.pop();
    for (const text of parts) this.lines.push({ at, text });
    this.wake();
  }

  exited(): void {
    this.ended = true;
    this.wake();
  }

  state(): ContainerLogState {
    return { lines: [...this.lines], ended: this.ended };
  }

  /** The whole log as `kubectl logs` prints it without options. */
  text(): string {
    return this.lines.map((line) => `${line.text}\n`).join('');
  }

  /** What GET .../log writes, chunk by chunk; with `follow` it ends only when the container exits. */
  async *read(options: LogReadOptions = {}): AsyncGenerator<string> {
    let next = Math.max(0, this.lines.length - (options.tailLines ?? this.lines.length));
    let budget = options.limitBytes ?? Number.POSITIVE_INFINITY;
    for (;;) {
      while (next < this.lines.length && budget > 0) {
        const line = this.lines[next++] as LogLine;
        if (options.sinceMs !== undefined && line.at < options.sinceMs) continue;
        const formatted = `${options.timestamps ? `${rfc3339Nano(line.at)} ` : ''}${line.text}\n`;
        const bytes = Buffer.from(formatted);
        if (bytes.length > budget) {
          yield bytes.subarray(0, budget).toString('utf8');
          budget = 0;
        } else {
          yield formatted;
          budget -= bytes.length;
        }
      }
      if (!options.follow || this.ended || budget <= 0) return;
      await new Promise<void>((resolve) => this.waiting.add(resolve));
    }
  }

  private wake(): void {
    for (const resolve of this.waiting) resolve();
    this.waiting.clear();
  }
}
