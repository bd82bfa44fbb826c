// What the Lambda bundles carry in place of `undici` (serverless.yml custom.esbuild.alias).
// @kubernetes/client-node 2.x imports undici (about 600 KB minified) at the top of its KubeConfig module
// for its generated fetch clients. irsa-broker sends raw HTTPS requests with the options
// KubeConfig.applyToHTTPSOptions fills in (a node:https Agent, the cluster CA, the bearer token) and never
// reaches undici, so the bundles leave it out. If a future change does reach it, it fails here, loudly,
// instead of misbehaving. Outside the bundles (npm start, tests) the real undici is loaded.

const WHY =
  "undici is not bundled into irsa-broker's Lambda functions (serverless.yml custom.esbuild.alias): " +
  'call the cluster through KubernetesTransport (node:https), or remove the alias if a fetch-based client is needed';

export class Agent {
  constructor() {
    throw new Error(WHY);
  }
}

export class ProxyAgent {
  constructor() {
    throw new Error(WHY);
  }
}

export function fetch(): never {
  throw new Error(WHY);
}
