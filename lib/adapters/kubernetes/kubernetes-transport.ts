// HTTPS to one cluster's API server, authenticated by KubeConfig (cluster CA + EKS bearer token).
// Raw requests rather than the generated clients: the generated clients turn objects into classes
// (dates become Date), and v1beta1 CSRs have no generated client at all.
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import type { ClusterConnection } from '../../ports/kubernetes.js';
import type { EksToken } from './eks-token.js';
import { type FailureContext, kubernetesError, transportError } from './kubernetes-error.js';

export interface KubernetesRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  /** For errors: what we tried. */
  context: Omit<FailureContext, 'cluster'>;
}

export interface KubernetesResponse {
  status: number;
  text: string;
}

export type TokenSource = () => Promise<EksToken>;

/** A KubeConfig for one cluster and one token: no files, no exec plugins. */
export function kubeConfigFor(cluster: ClusterConnection, token: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [
      { name: cluster.name, server: cluster.endpoint, caData: cluster.caData, skipTLSVerify: false },
    ],
    users: [{ name: 'irsa-broker', token }],
    contexts: [{ name: cluster.name, cluster: cluster.name, user: 'irsa-broker' }],
    currentContext: cluster.name,
  });
  return kubeConfig;
}

const REQUEST_TIMEOUT_MS = 30_000;

export class KubernetesTransport {
  private current: { token: string; kubeConfig: KubeConfig } | undefined;

  constructor(
    readonly cluster: ClusterConnection,
    private readonly tokens: TokenSource,
  ) {}

  /** Sends the request; any non-2xx answer becomes a domain error (callers catch what they expect). */
  async send(req: KubernetesRequest): Promise<KubernetesResponse> {
    const response = await this.exchange(req);
    if (response.status >= 200 && response.status < 300) return response;
    throw kubernetesError(
      response.status,
      response.text,
      { ...req.context, cluster: this.cluster.name },
      response.retryAfter,
    );
  }

  async json(req: KubernetesRequest): Promise<unknown> {
    const { text } = await this.send(req);
    return text ? JSON.parse(text) : undefined;
  }

  private async kubeConfig(): Promise<KubeConfig> {
    const { token } = await this.tokens();
    // The cache hands out a new token before the old one lapses; rebuild around it then.
    if (this.current?.token !== token)
      this.current = { token, kubeConfig: kubeConfigFor(this.cluster, token) };
    return this.current.kubeConfig;
  }

  private async exchange(req: KubernetesRequest): Promise<KubernetesResponse & { retryAfter?: number }> {
    const url = new URL(this.cluster.endpoint);
    const base = url.pathname.replace(/\/+$/, '');
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(req.query ?? {})) {
      if (value !== undefined) search.set(key, String(value));
    }
    const qs = search.toString();
    const body = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body), 'utf8');
    const options: RequestOptions = {
      method: req.method,
      hostname: url.hostname,
      port: url.port || 443,
      path: `${base}${req.path}${qs ? `?${qs}` : ''}`,
      headers: {
        Accept: 'application/json, */*',
        ...(body
          ? { 'Content-Type': req.contentType ?? 'application/json', 'Content-Length': body.length }
          : {}),
      },
      timeout: REQUEST_TIMEOUT_MS,
    };
    const context = { ...req.context, cluster: this.cluster.name };
    try {
      await (await this.kubeConfig()).applyToHTTPSOptions(options);
    } catch (error) {
      throw transportError(error, context);
    }
    return new Promise((resolve, reject) => {
      const request = httpsRequest(options, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error) => reject(transportError(error, context)));
        response.on('end', () => {
          const retryAfter = Number(response.headers['retry-after']);
          resolve({
            status: response.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
            ...(Number.isFinite(retryAfter) ? { retryAfter } : {}),
          });
        });
      });
      request.on('timeout', () => request.destroy(new Error(`timed out after ${REQUEST_TIMEOUT_MS} ms`)));
      request.on('error', (error) => reject(transportError(error, context)));
      request.end(body);
    });
  }
}
