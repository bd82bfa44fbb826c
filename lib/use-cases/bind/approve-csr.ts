// ApproveCsr (bind step 5): check and approve the webhook's serving-certificate CSR, hand the issued
// certificate to the webhook (v1 path), then wait until the webhook is ready. Bounded per invocation
// (NotYet hands over to the ASL Retry) and overall (WebhookNotReady).
import * as z from 'zod/mini';
import {
  allowedWebhookDnsNames,
  csrProblems,
  EKS_APP_SERVING_SIGNER,
  isCsrApproved,
  isCsrDecided,
  parseCsrRequest,
  servingCertificateProblems,
} from '../../domain/csr-check.js';
import { CsrRejectedError, InputError, NotYetError, WebhookNotReadyError } from '../../domain/errors.js';
import {
  buildWebhookTlsSecret,
  readPendingKeySecret,
  readTlsSecret,
  WEBHOOK_NAME,
  WEBHOOK_PENDING_KEY_SECRET,
  WEBHOOK_TLS_SECRET,
  webhookServiceAccountUsername,
} from '../../domain/manifests/pod-identity-webhook.js';
import { DNS1123_LABEL_PATTERN, DNS1123_SUBDOMAIN_PATTERN } from '../../domain/names.js';
import '../../domain/validation-locale.js';
import type {
  CertificateSigningRequest,
  ClusterConnection,
  KubernetesCluster,
} from '../../ports/kubernetes.js';
import {
  type EnsureWebhookResult,
  getWebhookConfiguration,
  isManagedByBroker,
  MIN_CERTIFICATE_REMAINING_MS,
  pendingKeyRef,
  type WebhookStepDeps,
  type WebhookStepInput,
  webhookReadiness,
} from './ensure-webhook.js';

export const APPROVAL_REASON = 'IrsaBrokerApproved';
const FIRST_POLL_MS = 1000;
const MAX_POLL_MS = 10_000;

export interface ApproveCsrResult {
  status: 'SKIPPED' | 'SUCCEEDED';
  detail: string;
}

const InstalledSchema = z
  .object({
    status: z.literal('SUCCEEDED'),
    detail: z.string(),
    mode: z.enum(['in-cluster', 'external-cert']),
    csrName: z.optional(
      z
        .string()
        .check(z.maxLength(253), z.regex(DNS1123_SUBDOMAIN_PATTERN, 'csrName must be a DNS-1123 subdomain')),
    ),
    csrVersion: z.enum(['v1', 'v1beta1']),
    namespace: z
      .string()
      .check(z.maxLength(63), z.regex(DNS1123_LABEL_PATTERN, 'namespace must be a DNS-1123 label')),
    privateKeyRef: z.optional(z.string()),
    startedAt: z.iso.datetime({ offset: true, error: 'startedAt must be an ISO 8601 time' }),
  })
  .check(
    z.superRefine((w, ctx) => {
      if (w.mode === 'in-cluster' && w.csrVersion !== 'v1beta1') {
        ctx.addIssue({ code: 'custom', path: ['csrVersion'], message: 'in-cluster mode uses v1beta1 CSRs' });
      }
      if (w.mode === 'external-cert') {
        if (w.csrVersion !== 'v1') {
          ctx.addIssue({ code: 'custom', path: ['csrVersion'], message: 'external-cert mode uses v1 CSRs' });
        }
        if ((w.csrName === undefined) !== (w.privateKeyRef === undefined)) {
          ctx.addIssue({
            code: 'custom',
            path: ['privateKeyRef'],
            message: 'csrName and privateKeyRef go together',
          });
        }
        // Only ever the pending-key Secret in the webhook's namespace: the ref must not point at any other secret.
        if (w.privateKeyRef !== undefined && w.privateKeyRef !== pendingKeyRef(w.namespace)) {
          ctx.addIssue({
            code: 'custom',
            path: ['privateKeyRef'],
            message: `privateKeyRef must be ${pendingKeyRef(w.namespace)}`,
          });
        }
      }
    }),
  );

type Installed = z.infer<typeof InstalledSchema>;

function parseWebhook(webhook: EnsureWebhookResult): Installed {
  const parsed = InstalledSchema.safeParse(webhook);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'webhook'}: ${i.message}`);
    throw new InputError(`ApproveCsr got an EnsureWebhook result it cannot use: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/**
 * One look at the world: done (with a detail), or what we are still waiting for; `rejection` says why
 * running out of time means a refused CSR rather than a slow webhook.
 */
type Progress = { done: true; detail: string } | { done: false; waitingFor: string; rejection?: string };

/** ApproveCsr decided by EnsureWebhook's result alone: nothing installed, nothing to approve. */
export function approveCsrSettled(webhook: EnsureWebhookResult | undefined): ApproveCsrResult | undefined {
  return webhook?.status === 'SKIPPED'
    ? { status: 'SKIPPED', detail: 'nothing was installed, so there is no CSR to approve' }
    : undefined;
}

export async function approveCsr(
  input: WebhookStepInput & { webhook: EnsureWebhookResult },
  deps: WebhookStepDeps,
): Promise<ApproveCsrResult> {
  const settled = approveCsrSettled(input.webhook);
  if (settled) return settled;
  const webhook = parseWebhook(input.webhook);
  const cluster = deps.kubernetes.connect(input.cluster);
  const started = new Date(webhook.startedAt).getTime();
  const deadline = started + deps.config.webhookReadyTimeoutSeconds * 1000;
  const invocationEnd = deps.clock.now().getTime() + deps.config.stepPollBudgetSeconds * 1000;

  // What happened so far in this invocation; later invocations find it again in the cluster.
  let certificateDetail: string | undefined;
  const readinessAfter = async (done: string): Promise<Progress> => {
    const configuration = await getWebhookConfiguration(cluster);
    if (!configuration) {
      return { done: false, waitingFor: `${done}; MutatingWebhookConfiguration ${WEBHOOK_NAME} is missing` };
    }
    const readiness = await webhookReadiness(cluster, configuration);
    if (!readiness.ready)
      return { done: false, waitingFor: `${done}; webhook not ready: ${readiness.detail}` };
    return { done: true, detail: `${done}; webhook ready: ${readiness.detail}` };
  };
  const step = async (): Promise<Progress> => {
    if (certificateDetail === undefined) {
      const certificate =
        webhook.mode === 'in-cluster'
          ? await approveInClusterCsr(cluster, webhook.namespace)
          : await completeExternalCertificate(cluster, input.cluster, webhook, deps);
      if (!certificate.done) return certificate;
      // A restarted in-cluster webhook files a new CSR: keep looking for those while waiting.
      if (webhook.mode === 'external-cert') certificateDetail = certificate.detail;
      else return readinessAfter(certificate.detail);
    }
    return readinessAfter(certificateDetail);
  };

  let pause = FIRST_POLL_MS;
  for (;;) {
    const progress = await step();
    if (progress.done) return { status: 'SUCCEEDED', detail: progress.detail };
    const now = deps.clock.now().getTime();
    if (now >= deadline) {
      if (progress.rejection !== undefined) throw new CsrRejectedError(progress.rejection);
      throw new WebhookNotReadyError(
        `The pod identity webhook in ${webhook.namespace} on cluster ${input.cluster.name} is not ready ` +
          `${deps.config.webhookReadyTimeoutSeconds} s after its install began (${progress.waitingFor}). ` +
          `Check the ${WEBHOOK_NAME} Deployment's pods and events, or raise WEBHOOK_READY_TIMEOUT_SECONDS.`,
      );
    }
    if (now >= invocationEnd) {
      throw new NotYetError(
        `Still waiting (${Math.round((now - started) / 1000)} s of ${deps.config.webhookReadyTimeoutSeconds} s): ` +
          progress.waitingFor,
      );
    }
    await deps.clock.sleep(Math.min(pause, deadline - now, invocationEnd - now));
    pause = Math.min(pause * 2, MAX_POLL_MS);
  }
}

/** Whether a CSR claims to be for the webhook Service, whoever filed it. */
function namesWebhook(csr: CertificateSigningRequest, namespace: string): boolean {
  try {
    const subject = parseCsrRequest(csr.request);
    const names = allowedWebhookDnsNames(namespace);
    return [...subject.commonNames, ...subject.dnsNames].some((n) => names.includes(n));
  } catch {
    return false;
  }
}

/**
 * In-cluster mode: the webhook filed its own v1beta1 CSR. The CSRs its service account filed are the
 * expected ones: each is checked, and one that fails the checks means none is approved. CSRs from anyone
 * else that name the webhook Service are never approved; when no genuine CSR comes in time they are
 * what the step fails on.
 */
async function approveInClusterCsr(cluster: KubernetesCluster, namespace: string): Promise<Progress> {
  const requester = webhookServiceAccountUsername(namespace);
  const expectation = { namespace, signers: [undefined], requester };
  const all = await cluster.listCsrs('v1beta1');
  const genuine = all.filter((csr) => csr.username === requester);
  const impostors = all.filter(
    (csr) => csr.username !== requester && !isCsrDecided(csr) && namesWebhook(csr, namespace),
  );
  const undecided = genuine.filter((csr) => !isCsrDecided(csr));
  const rejected = undecided
    .map((csr) => ({ csr, problems: csrProblems(csr, expectation) }))
    .filter((r) => r.problems.length > 0);
  if (rejected.length > 0) {
    throw new CsrRejectedError(
      `Not approving the pod identity webhook's CSR: ${rejected
        .map((r) => `CSR ${r.csr.name} (requested by ${r.csr.username}): ${r.problems.join('; ')}`)
        .join(' | ')}. Deny or delete it and check the webhook's image and arguments.`,
    );
  }
  for (const csr of undecided) {
    await cluster.approveCsr(csr.name, 'v1beta1', {
      reason: APPROVAL_REASON,
      message: `irsa-broker checked this CSR: requested by ${requester} for the pod identity webhook Service`,
    });
  }
  const approvedEarlier = genuine.filter(
    (csr) => isCsrApproved(csr) && csrProblems(csr, expectation).length === 0,
  );
  const names = [...undecided, ...approvedEarlier].map((csr) => csr.name);
  const ignored =
    impostors.length === 0
      ? ''
      : `; not approved: ${impostors.map((csr) => `CSR ${csr.name} from ${csr.username}`).join(', ')}`;
  if (names.length === 0) {
    return {
      done: false,
      waitingFor: `no CSR from ${requester} yet${ignored}`,
      ...(impostors.length === 0
        ? {}
        : {
            rejection:
              `No CSR from ${requester} came in time, and the CSR(s) naming the webhook Service were filed by ` +
              `someone else, so none was approved: ${impostors
                .map(
                  (csr) =>
                    `CSR ${csr.name} (requested by ${csr.username}): ${csrProblems(csr, expectation).join('; ')}`,
                )
                .join(' | ')}. Deny or delete them and find out who filed them.`,
          }),
    };
  }
  return { done: true, detail: `approved CSR ${names.join(', ')} (certificates.k8s.io/v1beta1)${ignored}` };
}

/** external-cert mode: approve our own v1 CSR, then write the issued certificate and our key as the TLS Secret. */
async function completeExternalCertificate(
  cluster: KubernetesCluster,
  connection: ClusterConnection,
  webhook: Installed,
  deps: WebhookStepDeps,
): Promise<Progress> {
  const { namespace, csrName } = webhook;
  const tlsRef = { apiVersion: 'v1', kind: 'Secret', namespace, name: WEBHOOK_TLS_SECRET };
  const pendingRef = { apiVersion: 'v1', kind: 'Secret', namespace, name: WEBHOOK_PENDING_KEY_SECRET };
  const clusterCa = Buffer.from(connection.caData, 'base64').toString('utf8');
  const usable = (pair: { certificatePem: string; privateKeyPem: string }) =>
    servingCertificateProblems({
      ...pair,
      caPem: clusterCa,
      namespace,
      now: deps.clock.now(),
      minRemainingMs: MIN_CERTIFICATE_REMAINING_MS,
    });

  const tls = await cluster.get(tlsRef);
  if (tls && !isManagedByBroker(tls)) {
    throw new WebhookNotReadyError(
      `Secret ${namespace}/${WEBHOOK_TLS_SECRET} is not managed by irsa-broker; irsa-broker will not overwrite it.`,
    );
  }
  const tlsPair = tls ? readTlsSecret(tls) : undefined;
  if (csrName === undefined) {
    // EnsureWebhook found a valid certificate already in place.
    if (tlsPair && usable(tlsPair).length === 0) {
      return { done: true, detail: `serving certificate in Secret ${WEBHOOK_TLS_SECRET} reused` };
    }
    throw new WebhookNotReadyError(
      `Secret ${namespace}/${WEBHOOK_TLS_SECRET} no longer holds a usable serving certificate; run the binding again.`,
    );
  }

  const csr = await cluster.getCsr(csrName, 'v1');
  const issued = csr?.certificate ? Buffer.from(csr.certificate, 'base64').toString('utf8') : undefined;
  if (issued && tlsPair && tlsPair.certificatePem === issued) {
    // An earlier invocation finished this part.
    return { done: true, detail: `approved CSR ${csrName} (certificates.k8s.io/v1); certificate installed` };
  }

  const stored = await cluster.get(pendingRef);
  const pending = stored && isManagedByBroker(stored) ? readPendingKeySecret(stored) : undefined;
  if (!pending || pending.csrName !== csrName) {
    if (tlsPair && usable(tlsPair).length === 0) {
      // Another binding's install completed the certificate meanwhile.
      return {
        done: true,
        detail: `serving certificate in Secret ${WEBHOOK_TLS_SECRET} installed by a concurrent run`,
      };
    }
    throw new WebhookNotReadyError(
      `The private key for CSR ${csrName} is gone from Secret ${namespace}/${WEBHOOK_PENDING_KEY_SECRET}; ` +
        'run the binding again to file a new CSR.',
    );
  }
  if (!csr) {
    throw new WebhookNotReadyError(
      `CSR ${csrName} filed by EnsureWebhook no longer exists on cluster ${connection.name}; run the binding again.`,
    );
  }
  if (csr.request !== Buffer.from(pending.csrPem).toString('base64')) {
    throw new CsrRejectedError(
      `CSR ${csrName} does not carry the certificate request irsa-broker filed; not approving it. Delete it and run the binding again.`,
    );
  }
  const denied = csr.conditions.find((c) => c.type === 'Denied' && c.status !== 'False');
  if (denied) {
    throw new CsrRejectedError(
      `CSR ${csrName} was denied (${denied.reason ?? 'no reason'}: ${denied.message ?? ''}); ` +
        'irsa-broker will not install the webhook without it.',
    );
  }
  const failed = csr.conditions.find((c) => c.type === 'Failed' && c.status !== 'False');
  if (failed) {
    throw new CsrRejectedError(
      `The signer ${EKS_APP_SERVING_SIGNER} refused CSR ${csrName}: ${failed.reason ?? ''} ${failed.message ?? ''}`.trim(),
    );
  }
  const problems = csrProblems(csr, { namespace, signers: [EKS_APP_SERVING_SIGNER] });
  if (problems.length > 0) {
    throw new CsrRejectedError(`Not approving CSR ${csrName}: ${problems.join('; ')}`);
  }
  if (!isCsrApproved(csr)) {
    await cluster.approveCsr(csrName, 'v1', {
      reason: APPROVAL_REASON,
      message: 'irsa-broker filed and checked this CSR for the pod identity webhook Service',
    });
  }
  if (!issued)
    return {
      done: false,
      waitingFor: `CSR ${csrName} approved, waiting for ${EKS_APP_SERVING_SIGNER} to sign it`,
    };

  const certificateProblems = usable({ certificatePem: issued, privateKeyPem: pending.privateKeyPem });
  if (certificateProblems.length > 0) {
    throw new WebhookNotReadyError(
      `The certificate issued for CSR ${csrName} cannot serve the webhook: ${certificateProblems.join('; ')}`,
    );
  }
  await cluster.apply(buildWebhookTlsSecret(namespace, issued, pending.privateKeyPem));
  await cluster.delete(pendingRef);
  return {
    done: true,
    detail: `approved CSR ${csrName} (certificates.k8s.io/v1); certificate stored in Secret ${WEBHOOK_TLS_SECRET}`,
  };
}
