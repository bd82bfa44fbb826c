// Follows a binding's workflow until it settles: a redrawn frame on a terminal, plain lines otherwise.
import type { Binding, BrokerApi } from './api-client.js';
import { ApiProblemError, ApiUnreachableError } from './cli-errors.js';
import {
  HIDE_CURSOR,
  isSettled,
  progressFrame,
  progressLines,
  redraw,
  SHOW_CURSOR,
} from './step-progress.js';

export interface Screen {
  /** A terminal: redraw in place. Otherwise one line per change. */
  isTTY: boolean;
  columns?: number;
  write(text: string): void;
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface FollowOptions {
  /** How often the binding is read again. */
  pollMs?: number;
  /** How often a terminal frame is redrawn (the spinner and the elapsed times move). */
  frameMs?: number;
  /** Consecutive failed reads (busy or unreachable API) tolerated before giving up. */
  maxFailedReads?: number;
  /**
   * Whether the plain output starts with the steps `initial` already has: yes for watch; no after a
   * call that starts a new workflow (an unbind's answer still holds the bind steps).
   */
  stepsOfInitial?: boolean;
}

function transient(error: unknown): boolean {
  return (error instanceof ApiProblemError && error.retryable) || error instanceof ApiUnreachableError;
}

/**
 * Shows `initial` and every change until the binding is SUCCEEDED, FAILED or DELETED; resolves to that
 * last reading. With `screen` undefined (--output json) it only polls.
 */
export async function followBinding(
  initial: Binding,
  deps: { api: Pick<BrokerApi, 'getBinding'>; clock: Clock; screen?: Screen },
  options: FollowOptions = {},
): Promise<Binding> {
  const { api, clock, screen } = deps;
  const pollMs = options.pollMs ?? 500;
  const tty = screen?.isTTY === true;
  const frameMs = tty ? Math.min(options.frameMs ?? 100, pollMs) : pollMs;
  const maxFailedReads = options.maxFailedReads ?? 5;

  let binding = initial;
  let shownLines = 0;
  let tick = 0;
  let failedReads = 0;
  let nextPoll = clock.now() + pollMs;

  const show = (previous: Binding | undefined) => {
    if (!screen) return;
    if (tty) {
      const frame = progressFrame(binding, {
        now: clock.now(),
        tick: tick++,
        color: true,
        ...(screen.columns ? { columns: screen.columns } : {}),
      });
      screen.write(redraw(shownLines, frame));
      shownLines = frame.length;
    } else {
      const lines = progressLines(previous, binding, clock.now(), options.stepsOfInitial ?? true);
      if (lines.length > 0) screen.write(`${lines.join('\n')}\n`);
    }
  };

  if (tty) screen?.write(HIDE_CURSOR);
  try {
    show(undefined);
    while (!isSettled(binding)) {
      await clock.sleep(frameMs);
      const previous = binding;
      if (clock.now() >= nextPoll) {
        nextPoll = clock.now() + pollMs;
        try {
          binding = await api.getBinding(binding.id);
          failedReads = 0;
        } catch (error) {
          if (!transient(error) || ++failedReads >= maxFailedReads) throw error;
        }
      }
      show(previous);
    }
    return binding;
  } finally {
    if (tty) screen?.write(SHOW_CURSOR);
  }
}
