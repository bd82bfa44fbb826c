// A cluster's OIDC issuer as IAM sees it: condition-key prefix and OIDC provider ARN.
import { InputError } from './errors.js';

/**
 * The issuer without scheme, port or trailing slash: the prefix of IAM condition keys and the
 * suffix of the OIDC provider ARN (`oidc.eks.<region>.amazonaws.com/id/<hex>`).
 */
export function issuerHostPath(issuer: string): string {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch (error) {
    throw new InputError(`OIDC issuer "${issuer}" is not a URL; expected https://<host>/<path>`, [], {
      cause: error,
    });
  }
  if (url.protocol !== 'https:') {
    throw new InputError(`OIDC issuer "${issuer}" must use https`);
  }
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.hostname}${path}`;
}

export function oidcProviderArn(accountId: string, issuer: string, partition = 'aws'): string {
  return `arn:${partition}:iam::${accountId}:oidc-provider/${issuerHostPath(issuer)}`;
}

/** The account id inside any IAM/STS ARN (`arn:<partition>:<service>::<account>:...`). */
export function accountOfArn(arn: string): string | undefined {
  const parts = arn.split(':');
  return parts.length >= 6 && parts[0] === 'arn' ? parts[4] : undefined;
}
