// Label selector strings as `?labelSelector=` takes them (equality and set-based).

type Requirement = (labels: Record<string, string>) => boolean;

function splitTopLevel(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter(Boolean);
}

function parseRequirement(text: string): Requirement {
  let m = /^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(text);
  if (m) {
    const [, key, op, list] = m;
    const values = list!.split(',').map((v) => v.trim());
    return op === 'in'
      ? (l) => key! in l && values.includes(l[key!]!)
      : (l) => !(key! in l) || !values.includes(l[key!]!);
  }
  m = /^([^\s!=]+)\s*(==|=|!=)\s*([^\s]*)$/.exec(text);
  if (m) {
    const [, key, op, value] = m;
    return op === '!=' ? (l) => l[key!] !== value : (l) => l[key!] === value;
  }
  m = /^(!?)([^\s!=()]+)$/.exec(text);
  if (m) return m[1] ? (l) => !(m![2]! in l) : (l) => m![2]! in l;
  throw new Error(`unable to parse requirement: ${text}`);
}

/** Compiles a selector; throws with the reason when it cannot be parsed. */
export function compileLabelSelector(selector: string): (labels: Record<string, string>) => boolean {
  const requirements = splitTopLevel(selector).map(parseRequirement);
  return (labels) => requirements.every((r) => r(labels));
}
