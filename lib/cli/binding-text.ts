// Text output of get, list and events: what a person reads in a terminal.
import type { Binding, BindingEvent, BindingPage } from './api-client.js';
import { outcomeLines, stepRows } from './step-progress.js';

export function bindingLines(binding: Binding, now: number): string[] {
  const lines = [
    `${binding.id}  ${binding.status}`,
    `  cluster          ${binding.clusterName} (${binding.region})`,
    `  service account  ${binding.namespace}/${binding.serviceAccountName}`,
    `  role             ${binding.outputs?.roleArn ?? binding.roleName}`,
    `  mode             ${binding.outputs?.mode ?? binding.mode ?? 'auto'}${binding.targetRoleArn ? ` → target ${binding.targetRoleArn}` : ''}`,
    `  policies         ${binding.policyArns.length > 0 ? binding.policyArns.join(', ') : 'none'}`,
  ];
  const tags = Object.entries(binding.tags ?? {});
  if (tags.length > 0) lines.push(`  tags             ${tags.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  if (binding.tenant) lines.push(`  tenant           ${binding.tenant}`);
  lines.push(`  created          ${binding.createdAt} by ${binding.createdBy}`);
  lines.push(`  updated          ${binding.updatedAt}`);
  if (binding.outputs?.verification) lines.push(`  identity         ${binding.outputs.verification.arn}`);
  lines.push('steps:', ...stepRows(binding.steps, { now, tick: 0 }));
  if (binding.status === 'FAILED') lines.push(...outcomeLines(binding).err);
  if (binding.drift && binding.drift.length > 0) {
    lines.push('drift:');
    for (const item of binding.drift) {
      lines.push(
        `  ${item.what}: expected ${JSON.stringify(item.expected)}, found ${JSON.stringify(item.actual)}`,
      );
    }
  }
  return lines;
}

function table(rows: readonly string[][]): string[] {
  const widths = (rows[0] ?? []).map((_, column) =>
    Math.max(...rows.map((row) => (row[column] ?? '').length)),
  );
  return rows.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

export function bindingTableLines(bindings: readonly Binding[]): string[] {
  if (bindings.length === 0) return ['no bindings'];
  return table([
    ['ID', 'STATUS', 'CLUSTER', 'NAMESPACE', 'SERVICE ACCOUNT', 'CREATED'],
    ...bindings.map((b) => [b.id, b.status, b.clusterName, b.namespace, b.serviceAccountName, b.createdAt]),
  ]);
}

/** A page, and how to get the next one. `again` is the command line that listed it, without --cursor. */
export function pageLines(page: BindingPage, again: string): string[] {
  const lines = bindingTableLines(page.items);
  if (page.nextCursor) lines.push(`more: ${again} --cursor ${page.nextCursor}`);
  return lines;
}

export function eventLines(events: readonly BindingEvent[]): string[] {
  if (events.length === 0) return ['no events'];
  return table(
    events.map((event) => {
      const change = event.from === event.to ? event.to : `${event.from ?? 'created'} → ${event.to}`;
      const outcome = event.outcome
        ? ` → ${event.outcome.status}${event.outcome.code ? ` ${event.outcome.code}` : ''}`
        : '';
      const call = event.request ? `${event.request.method} ${event.request.path}${outcome}` : '';
      // A call's detail often repeats the call itself; say it once.
      const detail = event.detail && event.detail !== call ? event.detail : '';
      return [event.at, event.actor, change, [call, detail].filter(Boolean).join('  ')];
    }),
  );
}
