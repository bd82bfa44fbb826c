// The local stand-in for API Gateway's JWT authorizer: a bearer token from a local file becomes the
// `requestContext.authorizer.jwt` block the handlers read, shaped as API Gateway shapes it.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import * as z from 'zod/mini';
import '../domain/validation-locale.js';

export interface JwtAuthorizerContext {
  claims: Record<string, string>;
  scopes: null;
}

/** Answers the authorizer context for an Authorization header, or undefined to refuse with 401. */
export type LocalAuthorizer = (authorization: string | undefined) => JwtAuthorizerContext | undefined;

const TOKEN_PATTERN = /^[\x21-\x7E]{1,512}$/;
const claimValue = z.union([z.string().check(z.minLength(1)), z.array(z.string().check(z.minLength(1)))]);
const tokensSchema = z.strictObject({
  tokens: z.record(
    z.string(),
    z.catchall(
      z.looseObject({
        sub: z.string({ error: 'every token needs a sub claim' }).check(z.minLength(1), z.maxLength(256)),
      }),
      claimValue,
    ),
  ),
});

/** API Gateway hands claims over as strings; arrays become `[a b c]`. */
function flatten(claims: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(claims).map(([name, value]) => [
      name,
      Array.isArray(value) ? `[${value.join(' ')}]` : String(value),
    ]),
  );
}

function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1];
}

export function tokenAuthorizer(tokens: Record<string, Record<string, unknown>>): LocalAuthorizer {
  const contexts = new Map(Object.entries(tokens).map(([token, claims]) => [token, flatten(claims)]));
  return (authorization) => {
    const token = bearerToken(authorization);
    const claims = token === undefined ? undefined : contexts.get(token);
    return claims ? { claims: { ...claims }, scopes: null } : undefined;
  };
}

/** Every request runs as these claims, whatever it sends. */
export function implicitAuthorizer(claims: Record<string, unknown>): LocalAuthorizer {
  const flat = flatten(claims);
  return () => ({ claims: { ...flat }, scopes: null });
}

export async function loadTokenAuthorizer(file: string): Promise<LocalAuthorizer> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(
      `Cannot read the local tokens file ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)}); copy config/local-tokens.example.yaml or set LOCAL_TOKENS_FILE`,
    );
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new Error(
      `The local tokens file ${file} is not YAML: ${error instanceof Error ? error.message : error}`,
    );
  }
  const result = tokensSchema.safeParse(document);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join('.') || '(top)'}: ${issue.message}`,
    );
    throw new Error(`Invalid local tokens file ${file}:\n  ${problems.join('\n  ')}`);
  }
  const malformed = Object.keys(result.data.tokens).filter((token) => !TOKEN_PATTERN.test(token));
  if (malformed.length > 0) {
    throw new Error(
      `Invalid local tokens file ${file}:\n  tokens: ${malformed.map((t) => JSON.stringify(t)).join(', ')}: a token is 1-512 printable characters, no spaces`,
    );
  }
  return tokenAuthorizer(result.data.tokens);
}
