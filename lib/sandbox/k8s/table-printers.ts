// The columns kube-apiserver prints per resource when a client asks for a `meta.k8s.io` Table
// (what `kubectl get` shows), and the human durations its AGE cells use.
import { arrayAt, child, type JsonObject, objectsAt, stringAt } from './json.js';

export interface ColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface Printer {
  columns: ColumnDefinition[];
  cells(obj: JsonObject, now: number): (string | number)[];
  /** Row conditions: a finished pod's row is marked Completed (kubectl hides it unless asked). */
  conditions?(obj: JsonObject): JsonObject[] | undefined;
}

const column = (
  name: string,
  type: string,
  description: string,
  priority = 0,
  format = '',
): ColumnDefinition => ({
  name,
  type,
  format,
  description,
  priority,
});

const NAME = column(
  'Name',
  'string',
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated.',
  0,
  'name',
);
const AGE = column(
  'Age',
  'string',
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.',
);

/** Go's `duration.HumanDuration`: coarser the older it gets (5s, 3m20s, 4h12m, 3d2h, 2y10d). */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  const and = (whole: string, rest: number, unit: string) => (rest === 0 ? whole : `${whole}${rest}${unit}`);
  if (minutes < 10) return and(`${minutes}m`, seconds % 60, 's');
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return and(`${hours}h`, minutes % 60, 'm');
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 8) return and(`${days}d`, hours % 24, 'h');
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.floor(days / 365);
  if (hours < 24 * 365 * 8) return and(`${years}y`, days % 365, 'd');
  return `${years}y`;
}

export function ageOf(timestamp: string | undefined, now: number): string {
  const at = timestamp ? Date.parse(timestamp) : Number.NaN;
  return Number.isNaN(at) ? '<unknown>' : humanDuration(now - at);
}

const nameOf = (obj: JsonObject) => stringAt(child(obj, 'metadata'), 'name') ?? '';
const createdAge = (obj: JsonObject, now: number) =>
  ageOf(stringAt(child(obj, 'metadata'), 'creationTimestamp'), now);

/** READY, STATUS and RESTARTS as the kubelet's statuses add up (init containers first). */
function podSummary(pod: JsonObject, now: number) {
  const spec = child(pod, 'spec');
  const status = child(pod, 'status');
  let reason = stringAt(status, 'reason') ?? stringAt(status, 'phase') ?? '';
  let restarts = 0;
  let lastRestart: number | undefined;
  let readyContainers = 0;
  const noteRestart = (s: JsonObject) => {
    restarts += typeof s.restartCount === 'number' ? s.restartCount : 0;
    const finished = stringAt(child(child(s, 'lastState'), 'terminated'), 'finishedAt');
    const at = finished ? Date.parse(finished) : Number.NaN;
    if (!Number.isNaN(at) && (lastRestart === undefined || at > lastRestart)) lastRestart = at;
  };
  const exitReason = (terminated: JsonObject) =>
    stringAt(terminated, 'reason') ??
    (typeof terminated.signal === 'number' && terminated.signal !== 0
      ? `Signal:${terminated.signal}`
      : `ExitCode:${String(terminated.exitCode ?? 0)}`);

  let initializing = false;
  const initStatuses = objectsAt(status, 'initContainerStatuses');
  const initCount = objectsAt(spec, 'initContainers').length;
  for (const [i, s] of initStatuses.entries()) {
    noteRestart(s);
    const terminated = child(child(s, 'state'), 'terminated');
    const waitingReason = stringAt(child(child(s, 'state'), 'waiting'), 'reason');
    if (terminated && Number(terminated.exitCode ?? 0) === 0) continue;
    if (terminated) reason = `Init:${exitReason(terminated)}`;
    else if (waitingReason && waitingReason !== 'PodInitializing') reason = `Init:${waitingReason}`;
    else reason = `Init:${i}/${initCount}`;
    initializing = true;
    break;
  }
  const containers = objectsAt(spec, 'containers');
  if (!initializing) {
    let hasRunning = false;
    for (const s of [...objectsAt(status, 'containerStatuses')].reverse()) {
      noteRestart(s);
      const state = child(s, 'state');
      const waitingReason = stringAt(child(state, 'waiting'), 'reason');
      const terminated = child(state, 'terminated');
      if (waitingReason) reason = waitingReason;
      else if (terminated) reason = exitReason(terminated);
      else if (s.ready === true && child(state, 'running')) {
        hasRunning = true;
        readyContainers++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      const ready = objectsAt(status, 'conditions').some(
        (c) => stringAt(c, 'type') === 'Ready' && stringAt(c, 'status') === 'True',
      );
      reason = ready ? 'Running' : 'NotReady';
    }
  }
  if (stringAt(child(pod, 'metadata'), 'deletionTimestamp'))
    reason = stringAt(status, 'reason') === 'NodeLost' ? 'Unknown' : 'Terminating';
  const restartsCell =
    lastRestart === undefined ? String(restarts) : `${restarts} (${humanDuration(now - lastRestart)} ago)`;
  return { ready: `${readyContainers}/${containers.length}`, reason, restarts: restartsCell };
}

function readinessGates(pod: JsonObject): string {
  const gates = objectsAt(child(pod, 'spec'), 'readinessGates');
  if (gates.length === 0) return '<none>';
  const conditions = objectsAt(child(pod, 'status'), 'conditions');
  const met = gates.filter((g) =>
    conditions.some(
      (c) => stringAt(c, 'type') === stringAt(g, 'conditionType') && stringAt(c, 'status') === 'True',
    ),
  ).length;
  return `${met}/${gates.length}`;
}

const PODS: Printer = {
  columns: [
    NAME,
    column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    column('Status', 'string', 'The aggregate status of the containers in this pod.'),
    column(
      'Restarts',
      'string',
      'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
    ),
    AGE,
    column('IP', 'string', 'The IP address assigned to the pod', 1),
    column('Node', 'string', 'The name of the node this pod is assigned to', 1),
    column('Nominated Node', 'string', 'The name of the node the pod is nominated to', 1),
    column('Readiness Gates', 'string', 'The readiness gates of the pod', 1),
  ],
  cells(pod, now) {
    const { ready, reason, restarts } = podSummary(pod, now);
    const status = child(pod, 'status');
    return [
      nameOf(pod),
      ready,
      reason,
      restarts,
      createdAge(pod, now),
      stringAt(status, 'podIP') || '<none>',
      stringAt(child(pod, 'spec'), 'nodeName') || '<none>',
      stringAt(status, 'nominatedNodeName') || '<none>',
      readinessGates(pod),
    ];
  },
  conditions(pod) {
    const phase = stringAt(child(pod, 'status'), 'phase');
    if (phase !== 'Succeeded' && phase !== 'Failed') return undefined;
    return [
      { type: 'Completed', status: 'True', reason: phase, message: `The pod has ${phase.toLowerCase()}.` },
    ];
  },
};

const SERVICE_ACCOUNTS: Printer = {
  columns: [
    NAME,
    column(
      'Secrets',
      'string',
      'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.',
    ),
    AGE,
  ],
  cells: (sa, now) => [nameOf(sa), arrayAt(sa, 'secrets').length, createdAge(sa, now)],
};

const NAMESPACES: Printer = {
  columns: [NAME, column('Status', 'string', 'The status of the namespace'), AGE],
  cells: (ns, now) => [nameOf(ns), stringAt(child(ns, 'status'), 'phase') ?? '', createdAge(ns, now)],
};

function csrCondition(csr: JsonObject): string {
  const status = child(csr, 'status');
  const types = new Set(objectsAt(status, 'conditions').map((c) => stringAt(c, 'type')));
  const shown = ['Approved', 'Denied', 'Failed'].filter((t) => types.has(t));
  if (shown.length === 0) shown.push('Pending');
  if (stringAt(status, 'certificate')) shown.push('Issued');
  return shown.join(',');
}

const CERTIFICATE_SIGNING_REQUESTS: Printer = {
  columns: [
    NAME,
    AGE,
    column('SignerName', 'string', 'Only the signer name of the CSR'),
    column('Requestor', 'string', 'Name of the user that requested the CSR'),
    column('RequestedDuration', 'string', 'The requested duration of the certificate'),
    column('Condition', 'string', 'Status of the CSR'),
  ],
  cells(csr, now) {
    const spec = child(csr, 'spec');
    const seconds = spec?.expirationSeconds;
    return [
      nameOf(csr),
      createdAge(csr, now),
      stringAt(spec, 'signerName') || '<none>',
      stringAt(spec, 'username') ?? '',
      typeof seconds === 'number' ? humanDuration(seconds * 1000) : '<none>',
      csrCondition(csr),
    ];
  },
};

function eventSource(event: JsonObject): string {
  const source = child(event, 'source');
  const component = stringAt(source, 'component') || stringAt(event, 'reportingComponent') || '';
  const host = stringAt(source, 'host') || stringAt(event, 'reportingInstance') || '';
  return host ? `${component}, ${host}` : component;
}

/** Events in their core/v1 (storage) form; the server prints every column and kubectl hides priority 1. */
const EVENTS: Printer = {
  columns: [
    column('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
    column('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future.'),
    column(
      'Reason',
      'string',
      'This should be a short, machine understandable string that gives the reason for this event being generated.',
    ),
    column('Object', 'string', 'The object that this event is about.'),
    column('Subobject', 'string', 'The field of the object this event is about.', 1),
    column('Source', 'string', 'The component reporting this event.', 1),
    column('Message', 'string', 'A human-readable description of the status of this operation.'),
    column('First Seen', 'string', 'The time at which the event was first recorded.', 1),
    column('Count', 'string', 'The number of times this event has occurred.', 1),
    column('Name', 'string', 'The name of the event.', 1, 'name'),
  ],
  cells(event, now) {
    const involved = child(event, 'involvedObject');
    const eventTime = stringAt(event, 'eventTime');
    const first = ageOf(stringAt(event, 'firstTimestamp') ?? eventTime, now);
    const last = stringAt(event, 'lastTimestamp') ? ageOf(stringAt(event, 'lastTimestamp'), now) : first;
    const series = child(event, 'series');
    const seen = series ? ageOf(stringAt(series, 'lastObservedTime'), now) : last;
    const count = series
      ? Number(series.count ?? 1)
      : typeof event.count === 'number' && event.count > 0
        ? event.count
        : 1;
    const kind = (stringAt(involved, 'kind') ?? '').toLowerCase();
    const name = stringAt(involved, 'name');
    return [
      seen,
      stringAt(event, 'type') ?? '',
      stringAt(event, 'reason') ?? '',
      name ? `${kind}/${name}` : kind,
      stringAt(involved, 'fieldPath') ?? '',
      eventSource(event),
      (stringAt(event, 'message') ?? '').trim(),
      first,
      count,
      nameOf(event),
    ];
  },
};

/** What kube-apiserver answers for a resource without a printer of its own. */
const DEFAULT: Printer = {
  columns: [
    NAME,
    column(
      'Created At',
      'date',
      'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.',
    ),
  ],
  cells: (obj) => [nameOf(obj), stringAt(child(obj, 'metadata'), 'creationTimestamp') ?? ''],
};

const PRINTERS: Record<string, Printer> = {
  '/pods': PODS,
  '/serviceaccounts': SERVICE_ACCOUNTS,
  '/namespaces': NAMESPACES,
  '/events': EVENTS,
  'events.k8s.io/events': EVENTS,
  'certificates.k8s.io/certificatesigningrequests': CERTIFICATE_SIGNING_REQUESTS,
};

export function printerFor(group: string, plural: string): Printer {
  return PRINTERS[`${group}/${plural}`] ?? DEFAULT;
}
