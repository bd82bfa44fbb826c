// AssumeRole's parameters read from the awsQuery form and checked against STS's own constraints,
// refused with the ValidationError wording STS uses ("N validation errors detected: Value … at …").
import type { Tag } from './account-state.js';
import { AwsServiceError } from './aws-service-error.js';
import type { QueryParams } from './query-protocol.js';

export interface AssumeRoleInput {
  roleArn: string;
  roleSessionName: string;
  durationSeconds?: number;
  externalId?: string;
  tags: Tag[];
  transitiveTagKeys: string[];
}

/** Parameters STS takes that the sandbox does not model; silently ignoring them would grant more than AWS does. */
const UNMODELED: Record<string, string> = {
  Policy: 'session policies',
  'PolicyArns.member.1.arn': 'managed session policies',
  SerialNumber: 'MFA',
  TokenCode: 'MFA',
  SourceIdentity: 'source identity',
  'ProvidedContexts.member.1.ProviderArn': 'provided contexts',
};

const SESSION_NAME = /^[\w+=,.@-]*$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]*$/;
const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const MAX_SESSION_TAGS = 50;

class Violations {
  private readonly found: string[] = [];

  add(value: string, at: string, constraint: string): void {
    this.found.push(`Value '${value}' at '${at}' failed to satisfy constraint: Member must ${constraint}`);
  }

  length(value: string, at: string, min: number, max: number): void {
    if (value.length < min) this.add(value, at, `have length greater than or equal to ${min}`);
    else if (value.length > max) this.add(value, at, `have length less than or equal to ${max}`);
  }

  pattern(value: string, at: string, pattern: RegExp, shown: string): void {
    if (!pattern.test(value)) this.add(value, at, `satisfy regular expression pattern: ${shown}`);
  }

  throwIfAny(): void {
    if (this.found.length === 0) return;
    const count = this.found.length === 1 ? '1 validation error' : `${this.found.length} validation errors`;
    throw new AwsServiceError('ValidationError', `${count} detected: ${this.found.join('; ')}`, 400);
  }
}

export function readAssumeRoleInput(params: QueryParams): AssumeRoleInput {
  for (const [name, what] of Object.entries(UNMODELED)) {
    if (params.optional(name) !== undefined) {
      throw new AwsServiceError(
        'NotImplemented',
        `The sandbox's STS does not model AssumeRole's ${what} (${name.split('.')[0]}); call without it.`,
        400,
      );
    }
  }
  const roleArn = params.required('RoleArn');
  const roleSessionName = params.required('RoleSessionName');
  const durationSeconds = params.integer('DurationSeconds');
  const externalId = params.optional('ExternalId');
  const tags = params.tags('Tags');
  const transitiveTagKeys = params.list('TransitiveTagKeys');

  const violations = new Violations();
  violations.length(roleArn, 'roleArn', 20, 2048);
  violations.length(roleSessionName, 'roleSessionName', 2, 64);
  violations.pattern(roleSessionName, 'roleSessionName', SESSION_NAME, '[\\w+=,.@-]*');
  if (durationSeconds !== undefined && durationSeconds < 900)
    violations.add(String(durationSeconds), 'durationSeconds', 'have value greater than or equal to 900');
  if (durationSeconds !== undefined && durationSeconds > 43200)
    violations.add(String(durationSeconds), 'durationSeconds', 'have value less than or equal to 43200');
  if (externalId !== undefined) {
    violations.length(externalId, 'externalId', 2, 1224);
    violations.pattern(externalId, 'externalId', EXTERNAL_ID, '[\\w+=,.@:\\/-]*');
  }
  if (tags.length > MAX_SESSION_TAGS)
    violations.add(`[${tags.length} tags]`, 'tags', `have length less than or equal to ${MAX_SESSION_TAGS}`);
  tags.forEach((tag, i) => {
    violations.length(tag.Key, `tags.${i + 1}.member.key`, 1, 128);
    violations.pattern(tag.Key, `tags.${i + 1}.member.key`, TAG_KEY, '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+');
    violations.length(tag.Value, `tags.${i + 1}.member.value`, 0, 256);
    violations.pattern(tag.Value, `tags.${i + 1}.member.value`, TAG_VALUE, '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*');
  });
  if (transitiveTagKeys.length > MAX_SESSION_TAGS)
    violations.add(
      `[${transitiveTagKeys.length} keys]`,
      'transitiveTagKeys',
      `have length less than or equal to ${MAX_SESSION_TAGS}`,
    );
  violations.throwIfAny();

  const lowerKeys = tags.map((tag) => tag.Key.toLowerCase());
  if (new Set(lowerKeys).size !== lowerKeys.length) {
    throw new AwsServiceError(
      'InvalidParameterValue',
      'Duplicate tag keys found. Please note that Tag keys are case insensitive.',
      400,
    );
  }
  if (transitiveTagKeys.some((key) => !lowerKeys.includes(key.toLowerCase()))) {
    throw new AwsServiceError(
      'InvalidParameterValue',
      'The specified transitive tag key must be included in the requested tags.',
      400,
    );
  }
  return {
    roleArn,
    roleSessionName,
    ...(durationSeconds !== undefined ? { durationSeconds } : {}),
    ...(externalId !== undefined ? { externalId } : {}),
    tags,
    transitiveTagKeys,
  };
}
