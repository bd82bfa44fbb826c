// Renders a binding's steps: frames for a terminal (redrawn in place, a spinner on the running step)
// and plain lines, one per step state change, for logs and pipes. Pure: time and spinner come in.
import type { Binding, Step } from './api-client.js';

export const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'] as const;
/** Statuses after which nothing more happens to the binding until someone calls the API again. */
export const SETTLED_STATUSES: readonly string[] = ['SUCCEEDED', 'FAILED', 'DELETED'];

const ESC = '\u001b[';
const ICONS: Record<string, string> = { SUCCEEDED: '✓', FAILED: '✗', SKIPPED: '-', PENDING: '·' };
const COLORS: Record<string, string> = {
  SUCCEEDED: '32',
  FAILED: '31',
  SKIPPED: '90',
  PENDING: '90',
  RUNNING: '36',
};

export function isSettled(binding: Pick<Binding, 'status'>): boolean {
  return SETTLED_STATUSES.includes(binding.status);
}

/** 0.4s, 12.3s, 2m05s. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(Math.max(0, ms) / 1000).toFixed(1)}s`;
  const seconds = Math.floor(ms / 1000);
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

/** How long the step ran (finished) or has been running (now); undefined before it started. */
export function stepElapsed(step: Step, now: number): string | undefined {
  if (!step.startedAt) return undefined;
  const end = step.finishedAt ? Date.parse(step.finishedAt) : now;
  return formatDuration(end - Date.parse(step.startedAt));
}

const NAME_WIDTH = 20;
const STATUS_WIDTH = 9;

/** The name column fits the longest step name of the binding (unbind and rollback steps are longer). */
function nameWidth(steps: readonly Step[]): number {
  return Math.max(NAME_WIDTH, ...steps.map((step) => step.name.length));
}

function paint(text: string, code: string | undefined, color: boolean): string {
  return color && code ? `${ESC}${code}m${text}${ESC}0m` : text;
}

function truncate(text: string, columns: number | undefined): string {
  if (!columns || [...text].length <= columns) return text;
  return `${[...text].slice(0, Math.max(1, columns - 1)).join('')}…`;
}

export interface FrameOptions {
  now: number;
  /** Which spinner glyph the running step shows. */
  tick: number;
  /** Terminal width: each row is cut to it, so a row never wraps (wrapping breaks the redraw). */
  columns?: number;
  color?: boolean;
}

/** One row per step: icon, name, state, elapsed, detail. */
export function stepRows(steps: readonly Step[], options: FrameOptions): string[] {
  const color = options.color ?? false;
  const width = nameWidth(steps);
  return steps.map((step) => {
    const icon =
      step.status === 'RUNNING'
        ? (SPINNER[options.tick % SPINNER.length] ?? '*')
        : (ICONS[step.status] ?? '?');
    const elapsed = stepElapsed(step, options.now) ?? '';
    const plain = `${step.name.padEnd(width)} ${step.status.padEnd(STATUS_WIDTH)} ${elapsed.padStart(7)}`;
    const row = truncate(
      `  ${icon} ${plain}${step.detail ? `  ${step.detail}` : ''}`.trimEnd(),
      options.columns,
    );
    // Colour is laid over the already-cut row, so escape sequences never count toward the width.
    return color ? `  ${paint(icon, COLORS[step.status], true)}${row.slice(2 + icon.length)}` : row;
  });
}

/** The whole picture of a binding in progress: a header line, then its steps. */
export function progressFrame(binding: Binding, options: FrameOptions): string[] {
  const subject = `${binding.clusterName}/${binding.namespace}/${binding.serviceAccountName}`;
  // The header spins while the workflow runs, also between steps, when no step is RUNNING.
  const icon = isSettled(binding)
    ? binding.status === 'FAILED'
      ? '✗'
      : '✓'
    : (SPINNER[options.tick % SPINNER.length] ?? '*');
  const header = truncate(`${icon} ${binding.id}  ${binding.status}  ${subject}`, options.columns);
  return [header, ...stepRows(binding.steps, options)];
}

/**
 * What replaces the previous frame of `previousLines` rows by `lines`: cursor up, each row cleared and
 * rewritten, anything left below cleared.
 */
export function redraw(previousLines: number, lines: readonly string[]): string {
  const up = previousLines > 0 ? `${ESC}${previousLines}A\r` : '';
  return `${up}${lines.map((line) => `${ESC}2K${line}\n`).join('')}${ESC}J`;
}

export const HIDE_CURSOR = `${ESC}?25l`;
export const SHOW_CURSOR = `${ESC}?25h`;

function plainStepLine(step: Step, now: number, width: number): string {
  const elapsed = step.status === 'RUNNING' ? undefined : stepElapsed(step, now);
  const fields = [
    step.name.padEnd(width),
    step.status.padEnd(STATUS_WIDTH),
    elapsed?.padStart(7),
    step.detail,
  ];
  return fields.filter(Boolean).join(' ').trimEnd();
}

/**
 * Plain lines for what changed between two readings of a binding (previous undefined: the first).
 * `stepsOfFirst: false` leaves out the first reading's steps: an unbind's answer still carries the
 * finished bind steps, which are history, not progress.
 */
export function progressLines(
  previous: Binding | undefined,
  next: Binding,
  now: number,
  stepsOfFirst = true,
): string[] {
  const lines: string[] = [];
  const statusChanged = !previous || previous.status !== next.status || previous.id !== next.id;
  // A run starting is told before its steps; a run ending, after its last step.
  const statusLine = statusChanged ? [`${next.id}  ${next.status}`] : [];
  if (!isSettled(next)) lines.push(...statusLine);
  if (previous || stepsOfFirst) {
    const before = new Map((previous?.steps ?? []).map((step) => [step.name, step]));
    const width = nameWidth(next.steps);
    for (const step of next.steps) {
      const earlier = before.get(step.name);
      const changed = earlier
        ? earlier.status !== step.status || earlier.detail !== step.detail
        : step.status !== 'PENDING';
      if (changed) lines.push(plainStepLine(step, now, width));
    }
  }
  if (isSettled(next)) lines.push(...statusLine);
  return lines;
}

/** The end of a watch: what a person wants to know. `out` goes to stdout, `err` to stderr. */
export function outcomeLines(binding: Binding): { out: string[]; err: string[] } {
  if (binding.status === 'FAILED') {
    const error = binding.error;
    return {
      out: [],
      err: [
        error
          ? `FAILED at ${error.step}: ${error.code}: ${error.message}`
          : `FAILED (the binding records no error; see irsa-broker events ${binding.id})`,
        `Retry it with irsa-broker retry ${binding.id}, or remove it with irsa-broker unbind ${binding.id}.`,
      ],
    };
  }
  if (binding.status === 'DELETED') {
    return {
      out: [`DELETED  ${binding.id}: what it created is removed; the record stays for audit`],
      err: [],
    };
  }
  const out = [`${binding.status}  ${binding.id}`];
  const outputs = binding.outputs;
  if (outputs?.roleArn) out.push(`role      ${outputs.roleArn}`);
  if (outputs?.verification) out.push(`identity  ${outputs.verification.arn}`);
  else if (binding.status === 'SUCCEEDED' && binding.verify === false)
    out.push('identity  not verified (--no-verify)');
  if (binding.drift && binding.drift.length > 0) {
    out.push('drift:');
    for (const item of binding.drift) {
      out.push(
        `  ${item.what}: expected ${JSON.stringify(item.expected)}, found ${JSON.stringify(item.actual)}`,
      );
    }
  } else if (binding.driftCheckedAt) {
    out.push(`drift     none (checked ${binding.driftCheckedAt})`);
  }
  return { out, err: [] };
}
