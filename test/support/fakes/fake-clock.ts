// A Clock whose sleep advances time at once and lets the fake cluster's controllers act.
import type { Clock } from '../../../lib/ports/clock.js';

export class FakeClock implements Clock {
  private current: number;
  /** Total milliseconds slept, to tell how long a poll waited in fake time. */
  slept = 0;

  constructor(
    start = new Date('2026-11-29T03:00:00Z'),
    private readonly onSleep?: () => void | Promise<void>,
  ) {
    this.current = start.getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  async sleep(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`FakeClock.sleep(${ms})`);
    this.current += ms;
    this.slept += ms;
    await this.onSleep?.();
  }

  advance(ms: number): void {
    this.current += ms;
  }
}
