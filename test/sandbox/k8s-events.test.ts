import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createFaultInjector } from '../../lib/sandbox/faults.js';
import { EventRecorder } from '../../lib/sandbox/k8s/events.js';
import type { SandboxCluster } from '../../lib/sandbox/k8s/index.js';
import { ObjectStore } from '../../lib/sandbox/k8s/object-store.js';
import { resourceTypeOfKind } from '../../lib/sandbox/k8s/resource-types.js';
import { eksToken, FakeSts, raw, startCluster } from './k8s-fixtures.js';
import { findKubectl, type Kubectl, kubectlFor, parseTable } from './real-kubectl.js';

type Event = Record<string, unknown> & {
  reason: string;
  type: string;
  message: string;
  involvedObject: Record<string, string>;
  count: number;
};

describe('sandbox EKS API server: events the scheduler and the kubelet record', () => {
  const faults = createFaultInjector({ seed: 1 });
  let cluster: SandboxCluster;
  let token: string;
  let webUid: string;

  const pod = (name: string, image: string) =>
    raw(cluster, token, 'POST', '/api/v1/namespaces/apps/pods', {
      metadata: { name },
      spec: { containers: [{ name: 'app', image }] },
    });
  const events = async (query = '') =>
    (await raw(cluster, token, 'GET', `/api/v1/namespaces/apps/events${query}`)).json().items as Event[];

  beforeAll(async () => {
    cluster = await startCluster(new FakeSts(), { faults });
    token = await eksToken('demo');
    await raw(cluster, token, 'POST', '/api/v1/namespaces', { metadata: { name: 'apps' } });
    faults.setRules([
      { service: 'k8s:demo', operation: 'pull registry.example/missing*', kind: 'image-pull' },
    ]);
    const web = await pod('web', 'nginx:1.27');
    webUid = (web.json().metadata as Record<string, string>).uid ?? '';
    await pod('broken', 'registry.example/missing:1');
    await pod('unknown', 'example.com/team/app');
    await raw(cluster, token, 'POST', '/api/v1/namespaces/apps/pods', {
      metadata: { name: 'sidecar' },
      spec: {
        containers: [
          { name: 'web', image: 'nginx:1.27' },
          { name: 'agent', image: 'example.com/team/agent:1' },
        ],
      },
    });
    await raw(cluster, token, 'POST', '/api/v1/namespaces/apps/pods', {
      metadata: { name: 'init-pull' },
      spec: {
        initContainers: [{ name: 'setup', image: 'example.com/team/setup:1' }],
        containers: [{ name: 'web', image: 'nginx:1.27' }],
      },
    });
    await cluster.settle();
  });
  afterAll(async () => {
    await cluster.stop();
  });

  it('records Scheduled, Pulling, Pulled, Created, Started for a pod that runs, pointing at the pod and container', async () => {
    const forWeb = await events(`?fieldSelector=involvedObject.name%3Dweb,involvedObject.uid%3D${webUid}`);
    expect(forWeb.map((e) => [e.type, e.reason])).toEqual([
      ['Normal', 'Scheduled'],
      ['Normal', 'Pulling'],
      ['Normal', 'Pulled'],
      ['Normal', 'Created'],
      ['Normal', 'Started'],
    ]);
    const [scheduled, pulling] = forWeb;
    expect(scheduled).toMatchObject({
      message: expect.stringMatching(/^Successfully assigned apps\/web to \S+$/),
      source: { component: 'default-scheduler' },
      involvedObject: { kind: 'Pod', name: 'web', namespace: 'apps', uid: webUid, apiVersion: 'v1' },
      count: 1,
    });
    expect(pulling).toMatchObject({
      message: 'Pulling image "nginx:1.27"',
      source: { component: 'kubelet', host: expect.any(String) },
      involvedObject: { fieldPath: 'spec.containers{app}' },
    });
    expect(await events('?fieldSelector=involvedObject.name%3Dnobody')).toEqual([]);
  });

  it('warns Failed / BackOff for an image the node cannot pull', async () => {
    const forBroken = await events('?fieldSelector=involvedObject.name%3Dbroken');
    expect(forBroken.map((e) => [e.type, e.reason, e.message])).toEqual([
      ['Normal', 'Scheduled', expect.stringContaining('apps/broken')],
      ['Normal', 'Pulling', 'Pulling image "registry.example/missing:1"'],
      [
        'Warning',
        'Failed',
        expect.stringMatching(/^Failed to pull image "registry.example\/missing:1": .*not found$/),
      ],
      ['Warning', 'Failed', 'Error: ErrImagePull'],
      ['Normal', 'BackOff', 'Back-off pulling image "registry.example/missing:1"'],
      ['Warning', 'Failed', 'Error: ImagePullBackOff'],
    ]);
    expect(await events('?fieldSelector=involvedObject.name%3Dbroken,type%3DWarning')).toHaveLength(3);
    expect(await events('?fieldSelector=involvedObject.name%3Dbroken,source%3Dkubelet')).toHaveLength(5);
    const unsupported = await raw(
      cluster,
      token,
      'GET',
      '/api/v1/namespaces/apps/events?fieldSelector=message%3Dx',
    );
    expect(unsupported.status).toBe(400);
    expect(unsupported.json().message).toBe('field label not supported: message');
  });

  it('fails to pull an image the registry does not have, as containerd reports it, and the pod stays Pending', async () => {
    const forUnknown = await events('?fieldSelector=involvedObject.name%3Dunknown');
    const notFound =
      'rpc error: code = NotFound desc = failed to pull and unpack image "example.com/team/app:latest": ' +
      'failed to resolve reference "example.com/team/app:latest": example.com/team/app:latest: not found';
    expect(forUnknown.map((e) => [e.type, e.reason, e.message])).toEqual([
      ['Normal', 'Scheduled', expect.stringContaining('apps/unknown')],
      ['Normal', 'Pulling', 'Pulling image "example.com/team/app"'],
      ['Warning', 'Failed', `Failed to pull image "example.com/team/app": ${notFound}`],
      ['Warning', 'Failed', 'Error: ErrImagePull'],
      ['Normal', 'BackOff', 'Back-off pulling image "example.com/team/app"'],
      ['Warning', 'Failed', 'Error: ImagePullBackOff'],
    ]);
    const unknown = (await raw(cluster, token, 'GET', '/api/v1/namespaces/apps/pods/unknown')).json();
    expect(unknown.status).toMatchObject({
      phase: 'Pending',
      containerStatuses: [
        {
          name: 'app',
          ready: false,
          state: {
            waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "example.com/team/app"' },
          },
        },
      ],
    });
    const log = await raw(cluster, token, 'GET', '/api/v1/namespaces/apps/pods/unknown/log');
    expect(log.status).toBe(400);
    expect(log.json().message).toBe(
      'container "app" in pod "unknown" is waiting to start: trying and failing to pull image',
    );
  });

  it('runs the containers whose images pull and keeps the pod Pending while one waits for its image', async () => {
    const sidecar = (await raw(cluster, token, 'GET', '/api/v1/namespaces/apps/pods/sidecar')).json();
    expect(sidecar.status).toMatchObject({
      phase: 'Pending',
      containerStatuses: [
        { name: 'web', ready: true, state: { running: {} } },
        { name: 'agent', ready: false, state: { waiting: { reason: 'ImagePullBackOff' } } },
      ],
    });
    const forSidecar = await events('?fieldSelector=involvedObject.name%3Dsidecar');
    expect(forSidecar.map((e) => [e.reason, e.involvedObject.fieldPath ?? '', e.message])).toEqual([
      ['Scheduled', '', expect.any(String)],
      ['Pulling', 'spec.containers{web}', 'Pulling image "nginx:1.27"'],
      ['Pulled', 'spec.containers{web}', expect.stringContaining('Successfully pulled image "nginx:1.27"')],
      ['Created', 'spec.containers{web}', 'Created container web'],
      ['Started', 'spec.containers{web}', 'Started container web'],
      ['Pulling', 'spec.containers{agent}', 'Pulling image "example.com/team/agent:1"'],
      ['Failed', 'spec.containers{agent}', expect.stringContaining('example.com/team/agent:1: not found')],
      ['Failed', 'spec.containers{agent}', 'Error: ErrImagePull'],
      ['BackOff', 'spec.containers{agent}', 'Back-off pulling image "example.com/team/agent:1"'],
      ['Failed', 'spec.containers{agent}', 'Error: ImagePullBackOff'],
    ]);
    const web = await raw(cluster, token, 'GET', '/api/v1/namespaces/apps/pods/sidecar/log?container=web');
    expect(web).toMatchObject({ status: 200, text: '' });
  });

  it('holds the pod in Init while an init container’s image cannot be pulled', async () => {
    const initPull = (await raw(cluster, token, 'GET', '/api/v1/namespaces/apps/pods/init-pull')).json();
    expect(initPull.status).toMatchObject({
      phase: 'Pending',
      initContainerStatuses: [{ name: 'setup', state: { waiting: { reason: 'ImagePullBackOff' } } }],
      containerStatuses: [{ name: 'web', state: { waiting: { reason: 'PodInitializing' } } }],
    });
    const setup = await raw(
      cluster,
      token,
      'GET',
      '/api/v1/namespaces/apps/pods/init-pull/log?container=setup',
    );
    expect(setup.json().message).toBe(
      'container "setup" in pod "init-pull" is waiting to start: trying and failing to pull image',
    );
    const forInit = await events('?fieldSelector=involvedObject.name%3Dinit-pull,type%3DWarning');
    expect(forInit.map((e) => [e.involvedObject.fieldPath, e.message])).toEqual([
      [
        'spec.initContainers{setup}',
        expect.stringMatching(/^Failed to pull image "example.com\/team\/setup:1": /),
      ],
      ['spec.initContainers{setup}', 'Error: ErrImagePull'],
      ['spec.initContainers{setup}', 'Error: ImagePullBackOff'],
    ]);
  });

  it('serves the same events as events.k8s.io/v1 with regarding, note and reportingController, and in discovery', async () => {
    const list = (
      await raw(
        cluster,
        token,
        'GET',
        '/apis/events.k8s.io/v1/namespaces/apps/events?fieldSelector=regarding.name%3Dweb',
      )
    ).json();
    expect(list).toMatchObject({ apiVersion: 'events.k8s.io/v1', kind: 'EventList' });
    const items = list.items as Record<string, unknown>[];
    expect(items.map((e) => e.reason)).toEqual(['Scheduled', 'Pulling', 'Pulled', 'Created', 'Started']);
    expect(items[1]).toMatchObject({
      regarding: { kind: 'Pod', name: 'web', fieldPath: 'spec.containers{app}' },
      note: 'Pulling image "nginx:1.27"',
      reportingController: 'kubelet',
      deprecatedCount: 1,
    });
    const name = (items[1]?.metadata as Record<string, string> | undefined)?.name ?? '';
    const one = (
      await raw(cluster, token, 'GET', `/apis/events.k8s.io/v1/namespaces/apps/events/${name}`)
    ).json();
    expect(one).toMatchObject({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      note: 'Pulling image "nginx:1.27"',
    });
    const core = (await raw(cluster, token, 'GET', '/api/v1')).json().resources as Record<string, unknown>[];
    expect(core).toContainEqual(expect.objectContaining({ name: 'events', kind: 'Event', namespaced: true }));
    const group = (await raw(cluster, token, 'GET', '/apis/events.k8s.io/v1')).json().resources as Record<
      string,
      unknown
    >[];
    expect(group).toContainEqual(expect.objectContaining({ name: 'events', kind: 'Event' }));
  });

  it('accepts an event written and patched through events.k8s.io/v1 and shows it through core/v1', async () => {
    const created = await raw(cluster, token, 'POST', '/apis/events.k8s.io/v1/namespaces/apps/events', {
      metadata: { name: 'web.manual' },
      eventTime: '2026-01-01T00:00:00.000000Z',
      reportingController: 'example.com/checker',
      reportingInstance: 'checker-1',
      action: 'Check',
      reason: 'Checked',
      regarding: { kind: 'Pod', namespace: 'apps', name: 'web', uid: webUid, apiVersion: 'v1' },
      note: 'looked fine',
      type: 'Normal',
    });
    expect(created.status).toBe(201);
    expect(created.json()).toMatchObject({ apiVersion: 'events.k8s.io/v1', note: 'looked fine' });
    const stored = (await raw(cluster, token, 'GET', '/api/v1/namespaces/apps/events/web.manual')).json();
    expect(stored).toMatchObject({
      involvedObject: { name: 'web' },
      message: 'looked fine',
      reportingComponent: 'example.com/checker',
      eventTime: '2026-01-01T00:00:00.000000Z',
    });

    const path = '/apis/events.k8s.io/v1/namespaces/apps/events/web.manual';
    const merged = await raw(
      cluster,
      token,
      'PATCH',
      path,
      { note: 'looked better' },
      'application/merge-patch+json',
    );
    expect(merged.status).toBe(200);
    expect(merged.json()).toMatchObject({ note: 'looked better', reason: 'Checked' });
    const jsonPatched = await raw(
      cluster,
      token,
      'PATCH',
      path,
      [{ op: 'replace', path: '/type', value: 'Warning' }],
      'application/json-patch+json',
    );
    expect(jsonPatched.json()).toMatchObject({ type: 'Warning', note: 'looked better' });
    expect(
      (await raw(cluster, token, 'GET', '/api/v1/namespaces/apps/events/web.manual')).json(),
    ).toMatchObject({
      message: 'looked better',
      type: 'Warning',
      eventTime: '2026-01-01T00:00:00.000000Z',
    });
  });

  it('counts a repeat of the same event on the same object instead of adding another', () => {
    const store = new ObjectStore();
    let now = Date.parse('2026-01-01T00:00:00Z');
    const recorder = new EventRecorder(store, () => now);
    const subject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'n', uid: 'u-1' } };
    const backOff = {
      type: 'Warning' as const,
      reason: 'BackOff',
      message: 'Back-off restarting failed container app in pod p_n(u-1)',
      fieldPath: 'spec.containers{app}',
      source: { component: 'kubelet' as const, host: 'node-1' },
    };
    recorder.record(subject, backOff);
    now += 30_000;
    recorder.record(subject, backOff);
    recorder.record(subject, { ...backOff, fieldPath: 'spec.containers{sidecar}' });
    const stored = store.list(resourceTypeOfKind('Event'), 'n');
    expect(stored.map((e) => [e.count, e.firstTimestamp, e.lastTimestamp])).toEqual([
      [2, '2026-01-01T00:00:00Z', '2026-01-01T00:00:30Z'],
      [1, '2026-01-01T00:00:30Z', '2026-01-01T00:00:30Z'],
    ]);
  });

  describe('through the real kubectl', () => {
    const binary = findKubectl();
    let kubectl: Kubectl;
    beforeAll(() => {
      if (!binary) console.warn('skipping kubectl event tests: no kubectl binary on PATH or in /usr/bin');
      else kubectl = kubectlFor(binary, cluster, token);
    });
    afterAll(() => kubectl?.dispose());

    (binary ? it : it.skip)(
      'kubectl get events lists them with LAST SEEN, TYPE, REASON, OBJECT, MESSAGE',
      async () => {
        const result = await kubectl.run('get', 'events', '-n', 'apps');
        expect(result).toMatchObject({ code: 0, stderr: '' });
        const table = parseTable(result.stdout);
        expect(table.header).toEqual(['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
        expect(table.rows).toContainEqual(
          expect.objectContaining({
            TYPE: 'Warning',
            REASON: 'Failed',
            OBJECT: 'pod/broken',
            MESSAGE: 'Error: ImagePullBackOff',
          }),
        );
        expect(table.rows).toContainEqual(
          expect.objectContaining({
            TYPE: 'Normal',
            REASON: 'Started',
            OBJECT: 'pod/web',
            MESSAGE: 'Started container app',
          }),
        );
      },
    );

    (binary ? it : it.skip)(
      'kubectl get events -A -o wide adds SUBOBJECT, SOURCE, FIRST SEEN, COUNT, NAME',
      async () => {
        const result = await kubectl.run('get', 'events', '-A', '-o', 'wide');
        expect(result).toMatchObject({ code: 0, stderr: '' });
        const table = parseTable(result.stdout);
        expect(table.header).toEqual([
          'NAMESPACE',
          'LAST SEEN',
          'TYPE',
          'REASON',
          'OBJECT',
          'SUBOBJECT',
          'SOURCE',
          'MESSAGE',
          'FIRST SEEN',
          'COUNT',
          'NAME',
        ]);
        expect(table.rows).toContainEqual(
          expect.objectContaining({
            NAMESPACE: 'apps',
            REASON: 'Pulling',
            OBJECT: 'pod/web',
            SUBOBJECT: 'spec.containers{app}',
            SOURCE: expect.stringMatching(/^kubelet, \S+$/),
            COUNT: '1',
            NAME: expect.stringMatching(/^web\.[0-9a-f]+$/),
          }),
        );
      },
    );

    (binary ? it : it.skip)('kubectl describe pod shows the pod’s own events under Events', async () => {
      const result = await kubectl.run('describe', 'pod', 'broken', '-n', 'apps');
      expect(result).toMatchObject({ code: 0, stderr: '' });
      const section = result.stdout.slice(result.stdout.indexOf('\nEvents:'));
      expect(section).not.toMatch(/Events:\s+<none>/);
      expect(section).toMatch(
        /Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned apps\/broken to /,
      );
      expect(section).toMatch(/Warning\s+Failed\s+\S+\s+kubelet\s+Error: ImagePullBackOff/);
      expect(section).not.toContain('nginx');
    });

    (binary ? it : it.skip)(
      'kubectl get pod shows ImagePullBackOff (Init: for an init container) for an image the registry lacks',
      async () => {
        const result = await kubectl.run('get', 'pod', 'unknown', 'sidecar', 'init-pull', '-n', 'apps');
        expect(result).toMatchObject({ code: 0, stderr: '' });
        expect(parseTable(result.stdout).rows).toEqual([
          expect.objectContaining({ NAME: 'unknown', READY: '0/1', STATUS: 'ImagePullBackOff' }),
          expect.objectContaining({ NAME: 'sidecar', READY: '1/2', STATUS: 'ImagePullBackOff' }),
          expect.objectContaining({ NAME: 'init-pull', READY: '0/1', STATUS: 'Init:ImagePullBackOff' }),
        ]);
      },
    );
  });
});
