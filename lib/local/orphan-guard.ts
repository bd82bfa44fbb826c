// Ties a child process's life to ours: it is killed when we exit normally, on an uncaught error, and —
// through a tiny detached watchdog — even when we are killed with SIGKILL and run no code at all.
import { type ChildProcess, spawn } from 'node:child_process';

// Runs in its own Node process: polls both pids and kills the child once the parent is gone.
const WATCHDOG = `
const [parent, child] = process.argv.slice(1).map(Number);
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };
setInterval(() => {
  if (!alive(child)) process.exit(0);
  if (!alive(parent)) {
    try { process.kill(child, 'SIGTERM'); } catch {}
    setTimeout(() => { try { process.kill(child, 'SIGKILL'); } catch {} process.exit(0); }, 3000);
  }
}, 500);
`;

/** Guards `child`; call the returned function once the child has been stopped on purpose. */
export function guardChildProcess(child: ChildProcess): () => void {
  const pid = child.pid;
  if (pid === undefined) return () => undefined;
  const killOnExit = () => {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  };
  process.once('exit', killOnExit);
  const watchdog = spawn(process.execPath, ['-e', WATCHDOG, String(process.pid), String(pid)], {
    detached: true,
    stdio: 'ignore',
  });
  watchdog.unref();
  return () => {
    process.removeListener('exit', killOnExit);
    if (watchdog.exitCode === null) watchdog.kill('SIGKILL');
  };
}
