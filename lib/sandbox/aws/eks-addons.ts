// EKS add-ons (CreateAddon, DescribeAddon, ListAddons, DeleteAddon) for the few add-ons the sandbox
// knows; an add-on is CREATING for a while after it is created, then ACTIVE.
import { randomUUID } from 'node:crypto';
import type { AddonRecord, ClusterRecord } from './account-state.js';
import { AwsServiceError } from './aws-service-error.js';
import {
  type EksDefinition,
  invalidParameter,
  notFound,
  pageOf,
  stringField,
  tagsField,
} from './eks-input.js';
import { epochSeconds } from './rest-json-protocol.js';

export const POD_IDENTITY_AGENT_ADDON = 'eks-pod-identity-agent';

/** Add-ons the sandbox offers: default version and the lowest Kubernetes minor it runs on. */
const ADDON_CATALOG: Record<string, { version: string; minMinor: number }> = {
  [POD_IDENTITY_AGENT_ADDON]: { version: 'v1.3.10-eksbuild.2', minMinor: 24 },
  'vpc-cni': { version: 'v1.19.2-eksbuild.1', minMinor: 20 },
  coredns: { version: 'v1.11.4-eksbuild.2', minMinor: 20 },
  'kube-proxy': { version: 'v1.30.7-eksbuild.2', minMinor: 20 },
};

export interface AddonDeps {
  accountId: string;
  now(): number;
  /** How long a new add-on stays CREATING. */
  addonCreationDelayMs(): number;
  cluster(region: string, name: string): ClusterRecord;
}

export function addonStatus(addon: AddonRecord, now: number): 'CREATING' | 'ACTIVE' {
  return now >= addon.activeAt ? 'ACTIVE' : 'CREATING';
}

/** A new add-on record, as CreateAddon (or a cluster registered with add-ons) makes it. */
export function newAddon(
  input: {
    region: string;
    accountId: string;
    clusterName: string;
    addonName: string;
    addonVersion?: string;
    serviceAccountRoleArn?: string;
    tags?: Record<string, string>;
    clientRequestToken?: string;
  },
  now: number,
  activeAt: number,
): AddonRecord {
  const at = new Date(now).toISOString();
  return {
    addonName: input.addonName,
    addonArn: `arn:aws:eks:${input.region}:${input.accountId}:addon/${input.clusterName}/${input.addonName}/${randomUUID()}`,
    addonVersion: input.addonVersion ?? ADDON_CATALOG[input.addonName]?.version ?? 'v1.0.0-eksbuild.1',
    ...(input.serviceAccountRoleArn ? { serviceAccountRoleArn: input.serviceAccountRoleArn } : {}),
    tags: input.tags ?? {},
    createdAt: at,
    modifiedAt: at,
    activeAt,
    ...(input.clientRequestToken !== undefined ? { clientRequestToken: input.clientRequestToken } : {}),
  };
}

export function createAddonRoutes(deps: AddonDeps): EksDefinition[] {
  const addon = (record: ClusterRecord, name: string): AddonRecord => {
    const found = record.addons.find((a) => a.addonName === name);
    if (!found) throw notFound(`No addon: ${name} found in cluster: ${record.description.name}`);
    return found;
  };

  const json = (clusterName: string, a: AddonRecord) => ({
    addonName: a.addonName,
    clusterName,
    status: addonStatus(a, deps.now()),
    addonVersion: a.addonVersion,
    health: { issues: [] },
    addonArn: a.addonArn,
    createdAt: epochSeconds(a.createdAt),
    modifiedAt: epochSeconds(a.modifiedAt),
    ...(a.serviceAccountRoleArn ? { serviceAccountRoleArn: a.serviceAccountRoleArn } : {}),
    tags: a.tags,
  });

  return [
    [
      'CreateAddon',
      'POST',
      '/clusters/{name}/addons',
      ({ region, params, body }) => {
        const clusterName = params.name!;
        const record = deps.cluster(region, clusterName);
        const addonName = stringField(body, 'addonName');
        if (!addonName) throw invalidParameter('addonName is required.');
        const catalog = ADDON_CATALOG[addonName];
        if (!catalog) {
          throw invalidParameter(
            `Addon ${addonName} specified is not supported; the sandbox offers ${Object.keys(ADDON_CATALOG).join(', ')}.`,
          );
        }
        const minor = Number(record.description.version.split('.')[1]);
        if (minor < catalog.minMinor) {
          throw invalidParameter(
            `Addon ${addonName} is not supported on Kubernetes ${record.description.version}; it needs 1.${catalog.minMinor} or later.`,
          );
        }
        const clientRequestToken = stringField(body, 'clientRequestToken');
        const existing = record.addons.find((a) => a.addonName === addonName);
        if (existing) {
          if (clientRequestToken !== undefined && existing.clientRequestToken === clientRequestToken) {
            return { status: 200, body: { addon: json(clusterName, existing) } };
          }
          throw new AwsServiceError(
            'ResourceInUseException',
            `Addon already exists: ${addonName} on cluster ${clusterName}.`,
            409,
          );
        }
        const addonVersion = stringField(body, 'addonVersion');
        const serviceAccountRoleArn = stringField(body, 'serviceAccountRoleArn');
        const now = deps.now();
        const created = newAddon(
          {
            region,
            accountId: deps.accountId,
            clusterName,
            addonName,
            ...(addonVersion ? { addonVersion } : {}),
            ...(serviceAccountRoleArn ? { serviceAccountRoleArn } : {}),
            tags: tagsField(body),
            ...(clientRequestToken !== undefined ? { clientRequestToken } : {}),
          },
          now,
          now + deps.addonCreationDelayMs(),
        );
        record.addons.push(created);
        return { status: 200, body: { addon: json(clusterName, created) } };
      },
    ],
    [
      'ListAddons',
      'GET',
      '/clusters/{name}/addons',
      ({ region, params, query }) => {
        const record = deps.cluster(region, params.name!);
        const page = pageOf(record.addons.map((a) => a.addonName).sort(), query, 100);
        return { status: 200, body: { addons: page.items, nextToken: page.nextToken } };
      },
    ],
    [
      'DescribeAddon',
      'GET',
      '/clusters/{name}/addons/{addonName}',
      ({ region, params }) => {
        const record = deps.cluster(region, params.name!);
        return { status: 200, body: { addon: json(params.name!, addon(record, params.addonName!)) } };
      },
    ],
    [
      'DeleteAddon',
      'DELETE',
      '/clusters/{name}/addons/{addonName}',
      ({ region, params }) => {
        const record = deps.cluster(region, params.name!);
        const found = addon(record, params.addonName!);
        record.addons = record.addons.filter((a) => a !== found);
        return { status: 200, body: { addon: { ...json(params.name!, found), status: 'DELETING' } } };
      },
    ],
  ];
}
