// The discovery documents (/version, /api, /apis, resource lists) for a cluster's version.
import type { JsonObject } from './json.js';
import { apiVersionOf, RESOURCE_TYPES } from './resource-types.js';

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

const PATCH_LEVELS: Record<number, number> = {
  20: 15,
  21: 14,
  22: 17,
  23: 17,
  24: 17,
  25: 16,
  26: 15,
  27: 16,
  28: 15,
  29: 13,
  30: 14,
  31: 13,
  32: 9,
  33: 5,
};

export function versionInfo(minor: number): JsonObject {
  const patch = PATCH_LEVELS[minor] ?? 0;
  return {
    major: '1',
    minor: `${minor}+`,
    gitVersion: `v1.${minor}.${patch}-eks-2f46c53`,
    gitCommit: '2f46c53a2b2e1b1b1c7e1f1d8c0c9a1f3e9f8d7c',
    gitTreeState: 'clean',
    buildDate: '2024-07-03T21:17:32Z',
    goVersion: 'go1.22.4',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

function groupVersions(minor: number): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const type of RESOURCE_TYPES) {
    if (!type.group) continue;
    const versions = groups.get(type.group) ?? [];
    for (const v of type.versions(minor)) if (!versions.includes(v)) versions.push(v);
    groups.set(type.group, versions);
  }
  return groups;
}

export function coreApiVersions(): JsonObject {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: 'ip-10-0-0-1.ec2.internal:443' }],
  };
}

export function apiGroupList(minor: number): JsonObject {
  const groups = [...groupVersions(minor)].map(([name, versions]) => ({
    name,
    versions: versions.map((version) => ({ groupVersion: `${name}/${version}`, version })),
    preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0]! },
  }));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

export function apiGroup(minor: number, group: string): JsonObject | undefined {
  const versions = groupVersions(minor).get(group);
  if (!versions) return undefined;
  return {
    kind: 'APIGroup',
    apiVersion: 'v1',
    name: group,
    versions: versions.map((version) => ({ groupVersion: `${group}/${version}`, version })),
    preferredVersion: { groupVersion: `${group}/${versions[0]}`, version: versions[0]! },
  };
}

export function apiResourceList(minor: number, group: string, version: string): JsonObject | undefined {
  const types = RESOURCE_TYPES.filter((t) => t.group === group && t.versions(minor).includes(version));
  if (types.length === 0) return undefined;
  const resources: JsonObject[] = [];
  for (const t of types) {
    const entry: JsonObject = {
      name: t.plural,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: VERBS,
    };
    if (t.shortNames) entry.shortNames = t.shortNames;
    resources.push(entry);
    for (const sub of t.subresources) {
      const verbs = sub === 'log' ? ['get'] : ['get', 'patch', 'update'];
      resources.push({
        name: `${t.plural}/${sub}`,
        singularName: '',
        namespaced: t.namespaced,
        kind: sub === 'log' ? 'Pod' : t.kind,
        verbs,
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf(group, version), resources };
}
