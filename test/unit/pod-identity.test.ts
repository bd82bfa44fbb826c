import { describe, expect, it } from '@jest/globals';
import { parseCreateBindingRequest } from '../../lib/domain/binding-rules.js';
import {
  AssociationConflictError,
  InputError,
  NotAllowedError,
  NotYetError,
  OidcProviderMissingError,
  PodIdentityAgentMissingError,
} from '../../lib/domain/errors.js';
import { assertExactTrustPolicy, trustPolicyViolations } from '../../lib/domain/guardrails.js';
import { ownershipTags } from '../../lib/domain/ownership.js';
import { buildBindingTrustPolicy, podIdentityStatement } from '../../lib/domain/trust-policy.js';
import type { ClusterFacts, RoleFacts } from '../../lib/use-cases/bind/bind-state.js';
import { describeCluster } from '../../lib/use-cases/bind/describe-cluster.js';
import {
  associationSettled,
  ensurePodIdentityAssociation,
} from '../../lib/use-cases/bind/ensure-pod-identity-association.js';
import { DEMO_ISSUER, demoCluster, demoOidcProvider } from '../support/fakes/cluster-facts.js';
import { FakeClock } from '../support/fakes/fake-clock.js';
import { clusterInfo, FakeEksClusters, FakeEksPodIdentity } from '../support/fakes/fake-eks.js';
import { ACCOUNT_ID } from '../support/fakes/fake-iam.js';
import { InMemoryBindingStore, pendingBinding } from '../support/fakes/in-memory-binding-store.js';

const request = {
  clusterName: 'modern',
  region: 'us-east-1',
  namespace: 'payments',
  serviceAccountName: 'api',
  policyArns: [],
};
const clusterArn = `arn:aws:eks:us-east-1:${ACCOUNT_ID}:cluster/demo`;
const pin = { accountId: ACCOUNT_ID, clusterArn };

describe('the mode of a create request', () => {
  it('takes irsa, pod-identity, both or auto, and leaves it absent when omitted', () => {
    for (const mode of ['irsa', 'pod-identity', 'both', 'auto'] as const) {
      expect(parseCreateBindingRequest({ ...request, mode }).mode).toBe(mode);
    }
    expect(parseCreateBindingRequest(request)).not.toHaveProperty('mode');
  });

  it('refuses an unknown mode, naming the ones there are', () => {
    expect(() => parseCreateBindingRequest({ ...request, mode: 'pod_identity' })).toThrow(
      /mode: mode must be one of auto, irsa, pod-identity, both/,
    );
  });

  it('refuses IRSA-only settings with mode pod-identity, each as a field issue', () => {
    let error: unknown;
    try {
      parseCreateBindingRequest({
        ...request,
        mode: 'pod-identity',
        audience: 'vault',
        tokenExpirationSeconds: 3600,
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).issues).toEqual([
      { path: 'audience', message: 'audience applies to IRSA only; remove it or set mode to irsa or both' },
      {
        path: 'tokenExpirationSeconds',
        message: 'tokenExpirationSeconds applies to IRSA only; remove it or set mode to irsa or both',
      },
    ]);
    expect(parseCreateBindingRequest({ ...request, mode: 'both', audience: 'vault' }).audience).toBe('vault');
  });
});

describe('the Pod Identity trust policy', () => {
  const irsa = {
    oidcProviderArn: demoOidcProvider.arn,
    issuer: DEMO_ISSUER,
    namespace: 'payments',
    serviceAccountName: 'api',
  };
  const podIdentity = { ...pin, namespace: 'payments', serviceAccountName: 'api' };

  it('admits pods.eks.amazonaws.com to AssumeRole and TagSession, pinned to account, cluster and service account', () => {
    expect(buildBindingTrustPolicy({ mode: 'pod-identity', podIdentity })).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'pods.eks.amazonaws.com' },
          Action: ['sts:AssumeRole', 'sts:TagSession'],
          Condition: {
            StringEquals: {
              'aws:SourceAccount': ACCOUNT_ID,
              'aws:RequestTag/eks-cluster-arn': clusterArn,
              'aws:RequestTag/kubernetes-namespace': 'payments',
              'aws:RequestTag/kubernetes-service-account': 'api',
            },
          },
        },
      ],
    });
  });

  it('trusts both mechanisms in mode both: the IRSA statement, then the Pod Identity one', () => {
    const policy = buildBindingTrustPolicy({ mode: 'both', irsa, podIdentity });
    expect(policy.Statement.map((s) => s.Action)).toEqual([
      'sts:AssumeRoleWithWebIdentity',
      ['sts:AssumeRole', 'sts:TagSession'],
    ]);
    expect(trustPolicyViolations(policy, { mode: 'both', ...irsa, podIdentity: pin })).toEqual([]);
  });

  it('refuses a Pod Identity trust wider than the binding: another service account, a missing pin, StringLike', () => {
    const expected = {
      mode: 'pod-identity' as const,
      namespace: 'payments',
      serviceAccountName: 'api',
      podIdentity: pin,
    };
    const otherAccount = podIdentityStatement({ ...podIdentity, serviceAccountName: 'other' });
    const unpinned = podIdentityStatement(podIdentity);
    delete (unpinned.Condition.StringEquals as Record<string, string>)['aws:RequestTag/kubernetes-namespace'];
    const like = {
      ...podIdentityStatement(podIdentity),
      Condition: { StringLike: podIdentityStatement(podIdentity).Condition.StringEquals },
    };
    const noTagSession = { ...podIdentityStatement(podIdentity), Action: ['sts:AssumeRole'] };
    for (const statement of [otherAccount, unpinned, like, noTagSession]) {
      expect(() =>
        assertExactTrustPolicy({ Version: '2012-10-17', Statement: [statement] }, expected),
      ).toThrow(NotAllowedError);
    }
    expect(() =>
      assertExactTrustPolicy(buildBindingTrustPolicy({ mode: 'both', irsa, podIdentity }), expected),
    ).toThrow(/expected exactly one statement for mode pod-identity, found 2/);
  });
});

describe('DescribeCluster picks the mode', () => {
  const clusters = new FakeEksClusters()
    .add(clusterInfo({ name: 'modern', version: '1.33' }))
    .add(clusterInfo({ name: 'no-issuer', oidcIssuer: undefined }));
  const noInstall = { installPodIdentityAgent: false };

  it('auto: pod-identity where the agent add-on is ACTIVE, irsa where it is missing', async () => {
    const withAgent = new FakeEksPodIdentity().withAgent('us-east-1', 'modern');
    const modern = await describeCluster(pendingBinding({ clusterName: 'modern' }), {
      clusters,
      podIdentity: withAgent,
      config: noInstall,
    });
    expect([modern.mode, modern.podIdentityAgent]).toEqual(['pod-identity', 'ACTIVE']);
    expect(modern.detail).toContain('mode auto: pod-identity, the eks-pod-identity-agent add-on is ACTIVE');

    const without = await describeCluster(pendingBinding({ clusterName: 'modern' }), {
      clusters,
      podIdentity: new FakeEksPodIdentity(),
      config: noInstall,
    });
    expect(without.mode).toBe('irsa');
  });

  it('auto: irsa when the request sets an IRSA-only field, even where the agent runs', async () => {
    const facts = await describeCluster(pendingBinding({ clusterName: 'modern', audience: 'vault' }), {
      clusters,
      podIdentity: new FakeEksPodIdentity().withAgent('us-east-1', 'modern'),
      config: noInstall,
    });
    expect(facts.mode).toBe('irsa');
    expect(facts.detail).toContain('auto: irsa, the request sets audience');
  });

  it('keeps the mode an earlier run settled on', async () => {
    const binding = {
      ...pendingBinding({ clusterName: 'modern' }),
      outputs: { roleArn: 'arn:aws:iam::111122223333:role/x', mode: 'both' as const, trustPolicy: {} },
    };
    const facts = await describeCluster(binding, {
      clusters,
      podIdentity: new FakeEksPodIdentity().withAgent('us-east-1', 'modern'),
      config: noInstall,
    });
    expect(facts.mode).toBe('both');
  });

  it('fails PodIdentityAgentMissing for pod-identity without the agent, saying how to fix it', async () => {
    const attempt = describeCluster(pendingBinding({ clusterName: 'modern', mode: 'pod-identity' }), {
      clusters,
      podIdentity: new FakeEksPodIdentity(),
      config: noInstall,
    });
    await expect(attempt).rejects.toThrow(PodIdentityAgentMissingError);
    await expect(attempt).rejects.toThrow(
      /aws eks create-addon --cluster-name modern --addon-name eks-pod-identity-agent/,
    );
    const installable = await describeCluster(
      pendingBinding({ clusterName: 'modern', mode: 'pod-identity' }),
      {
        clusters,
        podIdentity: new FakeEksPodIdentity(),
        config: { installPodIdentityAgent: true },
      },
    );
    expect([installable.mode, installable.podIdentityAgent]).toEqual(['pod-identity', 'missing']);
  });

  it('needs an OIDC issuer for irsa and both only', async () => {
    const podIdentity = new FakeEksPodIdentity().withAgent('us-east-1', 'no-issuer');
    const deps = { clusters, podIdentity, config: noInstall };
    await expect(
      describeCluster(pendingBinding({ clusterName: 'no-issuer', mode: 'both' }), deps),
    ).rejects.toThrow(OidcProviderMissingError);
    const facts = await describeCluster(
      pendingBinding({ clusterName: 'no-issuer', mode: 'pod-identity' }),
      deps,
    );
    expect(facts.mode).toBe('pod-identity');
  });
});

describe('EnsurePodIdentityAssociation', () => {
  const binding = pendingBinding({ mode: 'pod-identity' });
  const cluster: ClusterFacts = { ...demoCluster, mode: 'pod-identity', podIdentityAgent: 'ACTIVE' };
  const role = {
    status: 'SUCCEEDED',
    detail: '',
    name: binding.roleName,
    arn: `arn:aws:iam::${ACCOUNT_ID}:role/irsa-broker/${binding.roleName}`,
    trustPolicy: {},
  } as RoleFacts;
  const startedAt = new Date('2026-11-29T03:00:00Z');
  const config = {
    installPodIdentityAgent: false,
    addonReadyTimeoutSeconds: 600,
    stepPollBudgetSeconds: 100,
  };
  const deps = (podIdentity: FakeEksPodIdentity, store = new InMemoryBindingStore(binding)) => ({
    podIdentity,
    store,
    clock: new FakeClock(),
    config,
  });

  it('is not needed in irsa mode', () => {
    expect(associationSettled({ ...cluster, mode: 'irsa' })).toEqual({
      status: 'SKIPPED',
      detail: 'irsa mode: no Pod Identity association',
    });
    expect(associationSettled(cluster)).toBeUndefined();
  });

  it('creates the association with the binding tags and ownership, and a retry gets the same one back', async () => {
    const podIdentity = new FakeEksPodIdentity();
    const first = await ensurePodIdentityAssociation(
      binding,
      cluster,
      role,
      { startedAt },
      deps(podIdentity),
    );
    const again = await ensurePodIdentityAssociation(
      binding,
      cluster,
      role,
      { startedAt },
      deps(podIdentity),
    );

    expect(first.status).toBe('SUCCEEDED');
    expect(first.detail).toMatch(/^created association a-\w+ of payments\/api with arn:aws:iam::/);
    expect(again.association).toEqual(first.association);
    expect(again.detail).toMatch(/^kept association/);
    const stored = await podIdentity.findAssociation('us-east-1', 'demo', 'payments', 'api');
    expect(stored).toMatchObject({
      roleArn: role.arn,
      tags: { team: 'payments', ...ownershipTags(binding.id) },
    });
    expect(podIdentity.associations.size).toBe(1);
  });

  it('leaves an association irsa-broker does not own untouched: AssociationConflict', async () => {
    const podIdentity = new FakeEksPodIdentity();
    const theirs = podIdentity.add('us-east-1', {
      clusterName: 'demo',
      namespace: 'payments',
      serviceAccount: 'api',
      roleArn: `arn:aws:iam::${ACCOUNT_ID}:role/someone-elses`,
      disableSessionTags: false,
      tags: { 'irsa-broker:binding-id': binding.id },
    });
    const attempt = ensurePodIdentityAssociation(binding, cluster, role, { startedAt }, deps(podIdentity));
    await expect(attempt).rejects.toThrow(AssociationConflictError);
    await expect(attempt).rejects.toThrow(/irsa-broker did not create it; it was left unchanged/);
    expect(await podIdentity.describeAssociation('us-east-1', 'demo', theirs.associationId)).toEqual(theirs);
  });

  it('refuses one an active binding owns, and replaces one a deleted binding left', async () => {
    const other = {
      ...pendingBinding({ id: 'bnd_01JOTHERBINDING00000000000' }),
      status: 'SUCCEEDED' as const,
    };
    const store = new InMemoryBindingStore(binding, other);
    const podIdentity = new FakeEksPodIdentity();
    const left = podIdentity.add('us-east-1', {
      clusterName: 'demo',
      namespace: 'payments',
      serviceAccount: 'api',
      roleArn: `arn:aws:iam::${ACCOUNT_ID}:role/irsa-broker/old`,
      disableSessionTags: false,
      tags: ownershipTags(other.id),
    });
    await expect(
      ensurePodIdentityAssociation(binding, cluster, role, { startedAt }, deps(podIdentity, store)),
    ).rejects.toThrow(/belongs to irsa-broker binding bnd_01JOTHERBINDING00000000000, which is still active/);

    store.bindings.set(other.id, { ...other, status: 'DELETED' });
    const facts = await ensurePodIdentityAssociation(
      binding,
      cluster,
      role,
      { startedAt },
      deps(podIdentity, store),
    );
    expect(facts.detail).toContain(
      `replaced association ${left.associationId} of a binding no longer active`,
    );
    expect(await podIdentity.describeAssociation('us-east-1', 'demo', left.associationId)).toBeUndefined();
    expect((await podIdentity.findAssociation('us-east-1', 'demo', 'payments', 'api'))?.roleArn).toBe(
      role.arn,
    );
  });

  it('points its own association at a new role by updating it in place', async () => {
    const podIdentity = new FakeEksPodIdentity();
    const mine = podIdentity.add('us-east-1', {
      clusterName: 'demo',
      namespace: 'payments',
      serviceAccount: 'api',
      roleArn: `arn:aws:iam::${ACCOUNT_ID}:role/irsa-broker/previous`,
      disableSessionTags: false,
      tags: ownershipTags(binding.id),
    });
    const facts = await ensurePodIdentityAssociation(
      binding,
      cluster,
      role,
      { startedAt },
      deps(podIdentity),
    );
    expect(facts.association?.associationId).toBe(mine.associationId);
    expect(facts.detail).toMatch(/^updated association/);
    expect((await podIdentity.describeAssociation('us-east-1', 'demo', mine.associationId))?.roleArn).toBe(
      role.arn,
    );
  });

  it('installs a missing agent when allowed and waits for it, within the invocation budget', async () => {
    const podIdentity = new FakeEksPodIdentity();
    const missing = { ...cluster, podIdentityAgent: 'missing' };
    const allowed = { ...deps(podIdentity), config: { ...config, installPodIdentityAgent: true } };

    await expect(
      ensurePodIdentityAssociation(binding, missing, role, { startedAt }, allowed),
    ).rejects.toThrow(NotYetError);
    expect((await podIdentity.describeAddon('us-east-1', 'demo', 'eks-pod-identity-agent'))?.status).toBe(
      'CREATING',
    );
    podIdentity.withAgent('us-east-1', 'demo');
    const facts = await ensurePodIdentityAssociation(binding, missing, role, { startedAt }, allowed);
    expect(facts.detail).toMatch(
      /^installed the eks-pod-identity-agent add-on \(v1\.3\.4-eksbuild\.1\); created/,
    );

    const gone = new FakeEksPodIdentity();
    await expect(
      ensurePodIdentityAssociation(binding, missing, role, { startedAt }, deps(gone)),
    ).rejects.toThrow(PodIdentityAgentMissingError);
    expect(gone.associations.size).toBe(0);
  });
});
