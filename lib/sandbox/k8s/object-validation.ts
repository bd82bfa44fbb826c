// Object validation as the API server does it on create and update: name formats with the real
// messages, then the OpenAPI schema of the kind (kubernetes-models), then a few semantic rules the
// schema cannot express.
import { MutatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1/MutatingWebhookConfiguration';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { CertificateSigningRequest } from 'kubernetes-models/certificates.k8s.io/v1/CertificateSigningRequest';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { child, deepEqual, type JsonObject, objectsAt, stringAt, stringMap } from './json.js';
import type { NameRule, ResourceType } from './resource-types.js';
import { invalid, type StatusCause } from './status.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

const LABEL_MESSAGE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1035_MESSAGE =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

/** The problems with `name` under `rule`, as the API server words them. */
export function nameProblems(name: string, rule: NameRule): string[] {
  const problems: string[] = [];
  switch (rule) {
    case 'dns1123-label':
      if (name.length > 63) problems.push('must be no more than 63 characters');
      if (!DNS1123_LABEL.test(name)) problems.push(LABEL_MESSAGE);
      break;
    case 'dns1035-label':
      if (name.length > 63) problems.push('must be no more than 63 characters');
      if (!DNS1035_LABEL.test(name)) problems.push(DNS1035_MESSAGE);
      break;
    case 'dns1123-subdomain':
      if (name.length > 253) problems.push('must be no more than 253 characters');
      if (!DNS1123_SUBDOMAIN.test(name)) problems.push(SUBDOMAIN_MESSAGE);
      break;
    case 'path-segment':
      if (name === '.' || name === '..') problems.push(`may not be '${name}'`);
      if (name.includes('/')) problems.push("may not contain '/'");
      if (name.includes('%')) problems.push("may not contain '%'");
      break;
  }
  return problems;
}

interface Validatable {
  validate(): void;
}
type ModelConstructor = new (data: never) => Validatable;

const MODELS: Record<string, ModelConstructor> = {
  Namespace,
  ServiceAccount,
  Pod,
  Secret,
  Service,
  ConfigMap,
  Deployment,
  Role,
  RoleBinding,
  ClusterRole,
  ClusterRoleBinding,
  MutatingWebhookConfiguration,
  CertificateSigningRequest,
};

interface AjvIssue {
  instancePath?: string;
  keyword?: string;
  params?: { missingProperty?: string };
  message?: string;
}

function schemaCauses(type: ResourceType, obj: JsonObject): StatusCause[] {
  const Model = MODELS[type.kind];
  if (!Model) return [];
  try {
    // Objects are validated in their storage version (v1beta1 requests were defaulted to fit it).
    const { status: _status, metadata: _metadata, apiVersion: _apiVersion, kind: _kind, ...rest } = obj;
    new Model({ ...rest, metadata: {} } as never).validate();
    return [];
  } catch (error) {
    const issues = (error as { errors?: AjvIssue[] }).errors ?? [];
    if (issues.length === 0) return [{ reason: 'FieldValueInvalid', message: String(error) }];
    return issues.map((issue) => {
      const base = (issue.instancePath ?? '')
        .split('/')
        .filter(Boolean)
        .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`))
        .join('')
        .replace(/^\./, '');
      if (issue.keyword === 'required' && issue.params?.missingProperty) {
        const field = base ? `${base}.${issue.params.missingProperty}` : issue.params.missingProperty;
        return { reason: 'FieldValueRequired', field, message: 'Required value' };
      }
      return {
        reason: 'FieldValueInvalid',
        field: base,
        message: `Invalid value: ${issue.message ?? 'invalid'}`,
      };
    });
  }
}

function semanticCauses(type: ResourceType, obj: JsonObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = child(obj, 'spec');
  if (type.kind === 'Deployment' && spec) {
    const selector = stringMap(child(spec, 'selector'), 'matchLabels');
    const labels = stringMap(child(child(spec, 'template'), 'metadata'), 'labels');
    if (!Object.entries(selector).every(([k, v]) => labels[k] === v)) {
      causes.push({
        reason: 'FieldValueInvalid',
        field: 'spec.template.metadata.labels',
        message: `Invalid value: ${JSON.stringify(labels)}: \`selector\` does not match template \`labels\``,
      });
    }
  }
  if (type.kind === 'Pod' && spec) {
    if (objectsAt(spec, 'containers').length === 0) {
      causes.push({ reason: 'FieldValueRequired', field: 'spec.containers', message: 'Required value' });
    }
    for (const [list, containers] of [
      ['containers', objectsAt(spec, 'containers')],
      ['initContainers', objectsAt(spec, 'initContainers')],
    ] as const) {
      containers.forEach((c, i) => {
        if (!stringAt(c, 'image'))
          causes.push({
            reason: 'FieldValueRequired',
            field: `spec.${list}[${i}].image`,
            message: 'Required value',
          });
      });
    }
    const names = [...objectsAt(spec, 'initContainers'), ...objectsAt(spec, 'containers')].map((c) =>
      stringAt(c, 'name'),
    );
    names.forEach((name, i) => {
      if (name !== undefined && names.indexOf(name) !== i) {
        causes.push({
          reason: 'FieldValueDuplicate',
          field: 'spec.containers.name',
          message: `Duplicate value: "${name}"`,
        });
      }
    });
  }
  if (type.kind === 'Secret' && stringAt(obj, 'type') === 'kubernetes.io/tls') {
    const data = child(obj, 'data') ?? {};
    for (const key of ['tls.crt', 'tls.key']) {
      if (!(key in data))
        causes.push({ reason: 'FieldValueRequired', field: `data[${key}]`, message: 'Required value' });
    }
  }
  return causes;
}

/** Throws a 422 Invalid Status when `obj` would not be accepted by a real API server. */
export function validateObject(type: ResourceType, obj: JsonObject): void {
  const metadata = child(obj, 'metadata') ?? {};
  const name = stringAt(metadata, 'name') ?? '';
  const causes: StatusCause[] = [];
  if (!name) {
    causes.push({
      reason: 'FieldValueRequired',
      field: 'metadata.name',
      message: 'Required value: name or generateName is required',
    });
  } else {
    for (const problem of nameProblems(name, type.nameRule)) {
      causes.push({
        reason: 'FieldValueInvalid',
        field: 'metadata.name',
        message: `Invalid value: "${name}": ${problem}`,
      });
    }
  }
  for (const key of ['labels', 'annotations'] as const) {
    const map = child(metadata, key) ?? {};
    for (const [k, v] of Object.entries(map)) {
      if (typeof v !== 'string') {
        causes.push({
          reason: 'FieldValueInvalid',
          field: `metadata.${key}`,
          message: `Invalid value: ${JSON.stringify(v)}: ${k} must be a string`,
        });
      }
    }
  }
  causes.push(...schemaCauses(type, obj), ...semanticCauses(type, obj));
  if (causes.length > 0) throw invalid(type.kind, type.group, name, causes);
}

/** Pod specs are immutable apart from a few fields; a real API server refuses other changes. */
export function validatePodUpdate(before: JsonObject, after: JsonObject): void {
  const strip = (pod: JsonObject) => {
    const spec = structuredClone(child(pod, 'spec') ?? {});
    for (const c of [...objectsAt(spec, 'containers'), ...objectsAt(spec, 'initContainers')]) delete c.image;
    delete spec.activeDeadlineSeconds;
    delete spec.tolerations;
    return spec;
  };
  if (!deepEqual(strip(before), strip(after))) {
    const name = stringAt(child(after, 'metadata'), 'name') ?? '';
    throw invalid('Pod', '', name, [
      {
        reason: 'FieldValueForbidden',
        field: 'spec',
        message:
          'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
      },
    ]);
  }
}
