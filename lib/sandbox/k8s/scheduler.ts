// Time-driven cluster work (pod phases, controllers). Tasks run on real timers, and `settle()`
// runs everything pending in due order right away so tests are deterministic and fast.

interface Task {
  due: number;
  seq: number;
  run: () => Promise<void> | void;
  timer: NodeJS.Timeout;
}

export class Scheduler {
  private pending = new Set<Task>();
  private running = new Set<Promise<void>>();
  private seq = 0;
  private closed = false;

  constructor(private readonly onError: (error: unknown) => void) {}

  schedule(delayMs: number, run: () => Promise<void> | void): void {
    if (this.closed) return;
    const task: Task = {
      due: Date.now() + delayMs,
      seq: this.seq++,
      run,
      timer: setTimeout(() => this.start(task), delayMs),
    };
    task.timer.unref();
    this.pending.add(task);
  }

  /** Runs all pending work (including work it schedules) until nothing is left. */
  async settle(): Promise<void> {
    for (let rounds = 0; rounds < 10_000; rounds++) {
      if (this.running.size > 0) {
        await Promise.all(this.running);
        continue;
      }
      const next = [...this.pending].sort((a, b) => a.due - b.due || a.seq - b.seq)[0];
      if (!next) return;
      this.start(next);
    }
    throw new Error('cluster did not settle: work keeps scheduling more work');
  }

  close(): void {
    this.closed = true;
    for (const task of this.pending) clearTimeout(task.timer);
    this.pending.clear();
  }

  private start(task: Task): void {
    if (!this.pending.delete(task)) return;
    clearTimeout(task.timer);
    const done = (async () => {
      try {
        await task.run();
      } catch (error) {
        this.onError(error);
      }
    })();
    this.running.add(done);
    void done.finally(() => this.running.delete(done));
  }
}
