// The `demo` cluster as DescribeCluster reports it, and its IAM OIDC provider as EnsureOidcProvider
// reports it: the facts the later steps read from the workflow state.
import type { ClusterFacts, OidcProviderFacts } from '../../../lib/use-cases/bind/bind-state.js';
import { ACCOUNT_ID } from './fake-iam.js';

export const DEMO_ISSUER_HOST = 'oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF';
export const DEMO_ISSUER = `https://${DEMO_ISSUER_HOST}`;

export const demoCluster = {
  status: 'SUCCEEDED',
  detail: '',
  name: 'demo',
  region: 'us-east-1',
  arn: `arn:aws:eks:us-east-1:${ACCOUNT_ID}:cluster/demo`,
  version: '1.29',
  endpoint: 'https://demo.example',
  caData: 'Y2E=',
  oidcIssuer: DEMO_ISSUER,
} satisfies ClusterFacts;

export const demoOidcProvider: OidcProviderFacts = {
  status: 'SUCCEEDED',
  detail: '',
  arn: `arn:aws:iam::${ACCOUNT_ID}:oidc-provider/${DEMO_ISSUER_HOST}`,
};
