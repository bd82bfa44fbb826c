// The KubernetesCluster port over one EKS cluster's API server.
import { PatchStrategy } from '@kubernetes/client-node/dist/patch.js';
import { InputError, NotFoundError, NotYetError, TransientError } from '../../domain/errors.js';
import type {
  ApplyOptions,
  CertificateSigningRequest,
  CsrCondition,
  CsrVersion,
  KindRef,
  KubernetesCluster,
  KubernetesObject,
  ListOptions,
  NewCsr,
  ObjectRef,
} from '../../ports/kubernetes.js';
import type { KubernetesTransport } from './kubernetes-transport.js';
import { resourcePath } from './resource-paths.js';

export const FIELD_MANAGER = 'irsa-broker';
const PAGE_SIZE = 500;
const CSR_KIND = 'CertificateSigningRequest';

interface ListBody {
  items?: Record<string, unknown>[];
  metadata?: { continue?: string };
}

interface CsrBody {
  metadata?: { name?: string; creationTimestamp?: string };
  spec?: {
    request?: string;
    signerName?: string;
    usages?: string[];
    username?: string;
    groups?: string[];
    expirationSeconds?: number;
  };
  status?: { conditions?: CsrCondition[]; certificate?: string };
}

function describe(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

function asObject(value: unknown, fallback: KindRef): KubernetesObject {
  const object = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const metadata = (
    typeof object.metadata === 'object' && object.metadata !== null ? object.metadata : {}
  ) as KubernetesObject['metadata'];
  return {
    ...object,
    // List items come without apiVersion and kind.
    apiVersion: typeof object.apiVersion === 'string' ? object.apiVersion : fallback.apiVersion,
    kind: typeof object.kind === 'string' ? object.kind : fallback.kind,
    metadata,
  };
}

function csrApiVersion(version: CsrVersion): string {
  return `certificates.k8s.io/${version}`;
}

function toCsr(value: unknown, version: CsrVersion): CertificateSigningRequest {
  const body = value as CsrBody;
  const name = body.metadata?.name;
  if (!name) throw new TransientError('The API server returned a CertificateSigningRequest without a name');
  return {
    name,
    version,
    ...(body.spec?.signerName ? { signerName: body.spec.signerName } : {}),
    request: body.spec?.request ?? '',
    usages: body.spec?.usages ?? [],
    username: body.spec?.username ?? '',
    groups: body.spec?.groups ?? [],
    conditions: body.status?.conditions ?? [],
    ...(body.status?.certificate ? { certificate: body.status.certificate } : {}),
    ...(body.spec?.expirationSeconds ? { expirationSeconds: body.spec.expirationSeconds } : {}),
    ...(body.metadata?.creationTimestamp ? { creationTimestamp: body.metadata.creationTimestamp } : {}),
  };
}

export class EksKubernetesCluster implements KubernetesCluster {
  private groupVersions: Promise<Set<string>> | undefined;

  constructor(private readonly transport: KubernetesTransport) {}

  async serves(groupVersion: string): Promise<boolean> {
    if (!this.groupVersions) {
      this.groupVersions = this.discover();
      this.groupVersions.catch(() => {
        this.groupVersions = undefined;
      });
    }
    return (await this.groupVersions).has(groupVersion);
  }

  async get(ref: ObjectRef): Promise<KubernetesObject | undefined> {
    try {
      const body = await this.transport.json({
        method: 'GET',
        path: resourcePath(ref, ref.namespace, ref.name),
        context: { action: `get ${describe(ref)}` },
      });
      return asObject(body, ref);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  async list(kind: KindRef, options: ListOptions = {}): Promise<KubernetesObject[]> {
    const items: KubernetesObject[] = [];
    let continueToken: string | undefined;
    do {
      const page = (await this.transport.json({
        method: 'GET',
        path: resourcePath(kind, options.namespace),
        query: {
          labelSelector: options.labelSelector,
          fieldSelector: options.fieldSelector,
          limit: PAGE_SIZE,
          continue: continueToken,
        },
        context: { action: `list ${kind.kind}${options.namespace ? ` in ${options.namespace}` : ''}` },
      })) as ListBody;
      for (const item of page.items ?? []) items.push(asObject(item, kind));
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken);
    return items;
  }

  async apply(object: KubernetesObject, options: ApplyOptions = {}): Promise<KubernetesObject> {
    const name = object.metadata.name;
    if (!name) throw new InputError(`Server-side apply of a ${object.kind} needs metadata.name.`);
    const ref = {
      apiVersion: object.apiVersion,
      kind: object.kind,
      name,
      namespace: object.metadata.namespace,
    };
    const body = await this.transport.json({
      method: 'PATCH',
      path: resourcePath(ref, ref.namespace, name),
      query: { fieldManager: FIELD_MANAGER, force: options.force ? true : undefined },
      // JSON is YAML: the apply content type takes it as is.
      contentType: PatchStrategy.ServerSideApply,
      body: object,
      context: { action: `apply ${describe(ref)}`, apply: true },
    });
    return asObject(body, object);
  }

  async create(object: KubernetesObject): Promise<KubernetesObject> {
    const label = object.metadata.name ?? `${object.metadata.generateName ?? ''}*`;
    const body = await this.transport.json({
      method: 'POST',
      path: resourcePath(object, object.metadata.namespace),
      query: { fieldManager: FIELD_MANAGER },
      body: object,
      context: {
        action: `create ${object.kind} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${label}`,
      },
    });
    return asObject(body, object);
  }

  async delete(ref: ObjectRef): Promise<boolean> {
    try {
      await this.transport.send({
        method: 'DELETE',
        path: resourcePath(ref, ref.namespace, ref.name),
        query: { propagationPolicy: 'Background' },
        context: { action: `delete ${describe(ref)}` },
      });
      return true;
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      throw error;
    }
  }

  async getCsr(name: string, version: CsrVersion): Promise<CertificateSigningRequest | undefined> {
    const found = await this.get({ apiVersion: csrApiVersion(version), kind: CSR_KIND, name });
    return found ? toCsr(found, version) : undefined;
  }

  async listCsrs(
    version: CsrVersion,
    options: { labelSelector?: string } = {},
  ): Promise<CertificateSigningRequest[]> {
    const items = await this.list({ apiVersion: csrApiVersion(version), kind: CSR_KIND }, options);
    return items.map((item) => toCsr(item, version));
  }

  async createCsr(csr: NewCsr, version: CsrVersion): Promise<CertificateSigningRequest> {
    if (!csr.name === !csr.generateName) {
      throw new InputError('A CertificateSigningRequest needs exactly one of name and generateName.');
    }
    const created = await this.create({
      apiVersion: csrApiVersion(version),
      kind: CSR_KIND,
      metadata: {
        ...(csr.name ? { name: csr.name } : { generateName: csr.generateName }),
        ...(csr.labels ? { labels: csr.labels } : {}),
      },
      spec: {
        request: csr.request,
        usages: csr.usages,
        ...(csr.signerName ? { signerName: csr.signerName } : {}),
        ...(csr.expirationSeconds ? { expirationSeconds: csr.expirationSeconds } : {}),
      },
    });
    return toCsr(created, version);
  }

  async approveCsr(
    name: string,
    version: CsrVersion,
    approval: { reason: string; message: string },
  ): Promise<CertificateSigningRequest> {
    const ref = { apiVersion: csrApiVersion(version), kind: CSR_KIND, name };
    // The approval subresource takes the whole object; a concurrent writer makes it 409, so reread.
    for (let attempt = 1; ; attempt += 1) {
      const current = await this.get(ref);
      if (!current) throw new NotFoundError(`CertificateSigningRequest ${name} does not exist.`);
      const csr = toCsr(current, version);
      if (csr.conditions.some((c) => c.type === 'Approved' && c.status === 'True')) return csr;
      const status = (current.status ?? {}) as Record<string, unknown>;
      const condition = {
        type: 'Approved',
        status: 'True',
        reason: approval.reason,
        message: approval.message,
        lastUpdateTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      };
      try {
        const body = await this.transport.json({
          method: 'PUT',
          path: `${resourcePath(ref, undefined, name)}/approval`,
          body: { ...current, status: { ...status, conditions: [...csr.conditions, condition] } },
          context: { action: `approve CertificateSigningRequest ${name}` },
        });
        return toCsr(body, version);
      } catch (error) {
        if (!(error instanceof Error && error.name === 'ConflictError') || attempt >= 3) throw error;
      }
    }
  }

  async deleteCsr(name: string, version: CsrVersion): Promise<boolean> {
    return this.delete({ apiVersion: csrApiVersion(version), kind: CSR_KIND, name });
  }

  async readPodLog(
    namespace: string,
    name: string,
    options: { limitBytes: number; container?: string },
  ): Promise<string> {
    const ref = { apiVersion: 'v1', kind: 'Pod', namespace, name };
    try {
      const { text } = await this.transport.send({
        method: 'GET',
        path: `${resourcePath(ref, namespace, name)}/log`,
        query: { limitBytes: options.limitBytes, container: options.container },
        context: { action: `read the log of pod ${namespace}/${name}` },
      });
      return text;
    } catch (error) {
      // 400 "container ... is waiting to start": there is no log yet, not a bad request.
      if (
        error instanceof InputError &&
        /waiting to start|ContainerCreating|PodInitializing/i.test(error.message)
      ) {
        throw new NotYetError(`Pod ${namespace}/${name} has not started yet: ${error.message}`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  private async discover(): Promise<Set<string>> {
    const context = { action: 'discover API versions' };
    const core = (await this.transport.json({ method: 'GET', path: '/api', context })) as {
      versions?: string[];
    };
    const groups = (await this.transport.json({ method: 'GET', path: '/apis', context })) as {
      groups?: { versions?: { groupVersion?: string }[] }[];
    };
    const served = new Set<string>(core.versions ?? []);
    for (const group of groups.groups ?? []) {
      for (const v of group.versions ?? []) if (v.groupVersion) served.add(v.groupVersion);
    }
    return served;
  }
}
