// Retries Kubernetes API calls that failed transiently (5xx, timeouts, 429) a few times with jittered
// backoff before a step gives up to the state machine's Retry: a step makes many calls, and without this
// one flaky call in any of them would re-run the whole step.
import { isBrokerError } from '../domain/errors.js';
import type { Clock } from '../ports/clock.js';
import type {
  ApplyOptions,
  CertificateSigningRequest,
  ClusterConnection,
  CsrVersion,
  KindRef,
  KubernetesCluster,
  KubernetesClusters,
  KubernetesObject,
  ListOptions,
  NewCsr,
  ObjectRef,
} from '../ports/kubernetes.js';

export interface RetryPolicy {
  /** Tries per call, the first included. */
  attempts: number;
  /** Upper bound of the first backoff; doubles per retry (full jitter). */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_KUBERNETES_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 200, maxDelayMs: 2_000 };

class RetryingKubernetesCluster implements KubernetesCluster {
  constructor(
    private readonly inner: KubernetesCluster,
    private readonly clock: Clock,
    private readonly policy: RetryPolicy,
    private readonly random: () => number,
  ) {}

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await operation();
      } catch (error) {
        const transient = isBrokerError(error) && (error.name === 'Transient' || error.name === 'Throttled');
        if (!transient || attempt >= this.policy.attempts) throw error;
        const cap = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** (attempt - 1));
        await this.clock.sleep(Math.floor(this.random() * cap));
      }
    }
  }

  serves(groupVersion: string): Promise<boolean> {
    return this.call(() => this.inner.serves(groupVersion));
  }
  get(ref: ObjectRef): Promise<KubernetesObject | undefined> {
    return this.call(() => this.inner.get(ref));
  }
  list(kind: KindRef, options?: ListOptions): Promise<KubernetesObject[]> {
    return this.call(() => this.inner.list(kind, options));
  }
  apply(object: KubernetesObject, options?: ApplyOptions): Promise<KubernetesObject> {
    return this.call(() => this.inner.apply(object, options));
  }
  /** A retried create may meet its own first try as a ConflictError; callers of create handle that anyway. */
  create(object: KubernetesObject): Promise<KubernetesObject> {
    return this.call(() => this.inner.create(object));
  }
  delete(ref: ObjectRef): Promise<boolean> {
    return this.call(() => this.inner.delete(ref));
  }
  getCsr(name: string, version: CsrVersion): Promise<CertificateSigningRequest | undefined> {
    return this.call(() => this.inner.getCsr(name, version));
  }
  listCsrs(version: CsrVersion, options?: { labelSelector?: string }): Promise<CertificateSigningRequest[]> {
    return this.call(() => this.inner.listCsrs(version, options));
  }
  createCsr(csr: NewCsr, version: CsrVersion): Promise<CertificateSigningRequest> {
    return this.call(() => this.inner.createCsr(csr, version));
  }
  approveCsr(
    name: string,
    version: CsrVersion,
    approval: { reason: string; message: string },
  ): Promise<CertificateSigningRequest> {
    return this.call(() => this.inner.approveCsr(name, version, approval));
  }
  deleteCsr(name: string, version: CsrVersion): Promise<boolean> {
    return this.call(() => this.inner.deleteCsr(name, version));
  }
  readPodLog(
    namespace: string,
    name: string,
    options: { limitBytes: number; container?: string },
  ): Promise<string> {
    return this.call(() => this.inner.readPodLog(namespace, name, options));
  }
}

export class RetryingKubernetesClusters implements KubernetesClusters {
  constructor(
    private readonly inner: KubernetesClusters,
    private readonly clock: Clock,
    private readonly policy: RetryPolicy = DEFAULT_KUBERNETES_RETRY,
    private readonly random: () => number = Math.random,
  ) {}

  connect(cluster: ClusterConnection): KubernetesCluster {
    return new RetryingKubernetesCluster(this.inner.connect(cluster), this.clock, this.policy, this.random);
  }
}
