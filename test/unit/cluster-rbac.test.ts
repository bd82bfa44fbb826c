// config/rbac/irsa-broker.yaml stays in step with the names the code uses, and `npm run cluster-rbac`
// prints it adjusted to the options, with the access-entry commands.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import { loadWorkflowConfig } from '../../lib/config/workflow-config.js';
import { EKS_APP_SERVING_SIGNER } from '../../lib/domain/csr-check.js';
import {
  WEBHOOK_NAME,
  WEBHOOK_PENDING_KEY_SECRET,
  WEBHOOK_TLS_SECRET,
} from '../../lib/domain/manifests/pod-identity-webhook.js';

interface Rule {
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
  verbs: string[];
}
interface K8sObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Rule[];
}

const objectsOf = (text: string): K8sObject[] =>
  parseAllDocuments(text)
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);

const SHIPPED = objectsOf(readFileSync(resolve('config/rbac/irsa-broker.yaml'), 'utf8'));
const rulesOf = (kind: string, name: string) =>
  SHIPPED.find((o) => o.kind === kind && o.metadata.name === name)?.rules ?? [];

async function clusterRbac(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [resolve('node_modules/tsx/dist/cli.mjs'), resolve('scripts/cluster-rbac.ts'), ...args],
      { timeout: 60_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('config/rbac/irsa-broker.yaml', () => {
  it('names the signer, the webhook objects and the webhook namespace the code uses', () => {
    // Prepare
    const config = loadWorkflowConfig({
      PERMISSIONS_BOUNDARY_ARN: 'arn:aws:iam::111122223333:policy/b',
      BINDINGS_TABLE: 'bindings',
      AWS_REGION: 'us-east-1',
      ROLE_PATH: '/irsa-broker/',
      ROLE_NAME_PREFIX: 'irsa-',
      CREATE_OIDC_PROVIDER: 'false',
      CREATE_NAMESPACE: 'false',
      VERIFY_IMAGE: 'public.ecr.aws/aws-cli/aws-cli:2.22.0',
      WEBHOOK_IMAGE: 'amazon/amazon-eks-pod-identity-webhook:v0.5.5',
    });
    const signers = rulesOf('ClusterRole', 'irsa-broker').find((r) => r.resources.includes('signers'));
    const secrets = rulesOf('Role', 'irsa-broker-webhook').find(
      (r) => r.resourceNames?.length && r.resources.includes('secrets'),
    );
    const webhookRole = SHIPPED.find((o) => o.kind === 'Role' && o.metadata.name === 'irsa-broker-webhook');

    // Assess
    expect(signers?.resourceNames).toContain(EKS_APP_SERVING_SIGNER);
    expect(secrets?.resourceNames?.sort()).toEqual([WEBHOOK_PENDING_KEY_SECRET, WEBHOOK_TLS_SECRET].sort());
    expect(webhookRole?.metadata.namespace).toBe(config.webhookNamespace);
    for (const rule of rulesOf('ClusterRole', 'irsa-broker').filter(
      (r) => r.resourceNames && !r.resources.includes('signers'),
    ))
      expect(rule.resourceNames).toEqual([WEBHOOK_NAME]);
  });

  it('grants nothing with a wildcard', () => {
    for (const object of SHIPPED)
      for (const rule of object.rules ?? [])
        expect([...rule.apiGroups, ...rule.resources, ...rule.verbs]).not.toContain('*');
  });
});

describe('npm run cluster-rbac', () => {
  it('prints the manifests for another webhook namespace, without namespace writes, headed by the access-entry commands', async () => {
    // Act
    const result = await clusterRbac([
      '--cluster',
      'prod',
      '--principal-arn',
      'arn:aws:iam::123456789012:role/irsa-broker/ensure-webhook',
      '--webhook-namespace',
      'pi-webhook',
      '--no-create-namespace',
    ]);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      '#   aws eks create-access-entry --cluster-name prod --principal-arn arn:aws:iam::123456789012:role/irsa-broker/ensure-webhook --kubernetes-groups irsa-broker',
    );
    const printed = objectsOf(result.stdout);
    expect(printed.map((o) => o.metadata.name)).not.toContain('irsa-broker-create-namespaces');
    expect(printed.filter((o) => o.metadata.namespace).map((o) => o.metadata.namespace)).toEqual([
      'pi-webhook',
      'pi-webhook',
    ]);
    expect(printed.find((o) => o.kind === 'Namespace')?.metadata.name).toBe('pi-webhook');
    expect(printed).toHaveLength(SHIPPED.length - 2);
  });

  it('says what is wrong with its arguments', async () => {
    // Act
    const missing = await clusterRbac([]);
    const badArn = await clusterRbac(['--cluster', 'prod', '--principal-arn', 'not-an-arn']);

    // Assess
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('Missing --cluster');
    expect(badArn.code).toBe(2);
    expect(badArn.stderr).toContain('is not an IAM role ARN');
  });
});
