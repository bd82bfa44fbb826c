// The shell lines `npm start` prints so the AWS CLI (or any SDK) in another terminal talks to the
// running sandbox as the broker principal.

/** The variables, in print order; AWS_DEFAULT_REGION too because AWS CLI v1 reads no AWS_REGION. */
const EXPORTED = [
  'AWS_ENDPOINT_URL_IAM',
  'AWS_ENDPOINT_URL_STS',
  'AWS_ENDPOINT_URL_EKS',
  'AWS_ENDPOINT_URL_EVENTBRIDGE',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_REGION',
] as const;

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `export NAME=value` lines for a POSIX shell from the sandbox's SDK environment; absent values are skipped. */
export function awsCliExports(env: Readonly<Record<string, string | undefined>>): string[] {
  const lines: string[] = [];
  for (const name of EXPORTED) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    lines.push(`export ${name}=${shellQuote(value)}`);
    if (name === 'AWS_REGION') lines.push(`export AWS_DEFAULT_REGION=${shellQuote(value)}`);
  }
  return lines;
}
