// The awsQuery wire format IAM and STS speak: form-encoded parameters in, XML documents out.
import { AwsServiceError } from './aws-service-error.js';

export type XmlValue =
  | string
  | number
  | boolean
  | Date
  | undefined
  | XmlValue[]
  | { [key: string]: XmlValue };

export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Form parameters of an awsQuery request, with the helpers to read its flattened lists and maps. */
export class QueryParams {
  private readonly values = new Map<string, string>();

  constructor(body: string, query: Record<string, string | string[]>) {
    for (const [key, value] of Object.entries(query))
      this.values.set(key, Array.isArray(value) ? value[0]! : value);
    for (const [key, value] of new URLSearchParams(body)) this.values.set(key, value);
  }

  get action(): string {
    return this.values.get('Action') ?? '';
  }

  optional(name: string): string | undefined {
    return this.values.get(name);
  }

  required(name: string): string {
    const value = this.values.get(name);
    if (value === undefined) {
      throw new AwsServiceError(
        'ValidationError',
        `1 validation error detected: Value null at '${lowerFirst(name)}' failed to satisfy constraint: Member must not be null`,
        400,
      );
    }
    return value;
  }

  integer(name: string): number | undefined {
    const value = this.values.get(name);
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (!Number.isInteger(parsed)) {
      throw new AwsServiceError(
        'ValidationError',
        `Value '${value}' at '${lowerFirst(name)}' failed to satisfy constraint: Member must be an integer`,
        400,
      );
    }
    return parsed;
  }

  /** `Name.member.1`, `Name.member.2`, … */
  list(name: string): string[] {
    const out: string[] = [];
    for (let i = 1; this.values.has(`${name}.member.${i}`); i++)
      out.push(this.values.get(`${name}.member.${i}`)!);
    return out;
  }

  /** `Tags.member.1.Key` / `Tags.member.1.Value`, … */
  tags(name: string): { Key: string; Value: string }[] {
    const out: { Key: string; Value: string }[] = [];
    for (let i = 1; this.values.has(`${name}.member.${i}.Key`); i++) {
      out.push({
        Key: this.values.get(`${name}.member.${i}.Key`)!,
        Value: this.values.get(`${name}.member.${i}.Value`) ?? '',
      });
    }
    return out;
  }
}

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export function toXml(value: XmlValue): string {
  if (value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((item) => `<member>${toXml(item)}</member>`).join('');
  if (typeof value === 'object') {
    return Object.entries(value)
      .filter(([, child]) => child !== undefined)
      .map(([key, child]) => `<${key}>${toXml(child)}</${key}>`)
      .join('');
  }
  return escapeXml(String(value));
}

export function queryResponse(
  action: string,
  namespace: string,
  result: Record<string, XmlValue> | undefined,
  requestId: string,
): WireResponse {
  const resultXml = result === undefined ? '' : `<${action}Result>${toXml(result)}</${action}Result>`;
  return {
    status: 200,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body: `<${action}Response xmlns="${namespace}">${resultXml}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
  };
}

export function queryError(error: AwsServiceError, namespace: string, requestId: string): WireResponse {
  return {
    status: error.httpStatus,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId, ...error.headers },
    body: `<ErrorResponse xmlns="${namespace}"><Error><Type>${error.fault}</Type><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

/** RFC 3986 percent-encoding, as IAM returns policy documents. */
export function rfc3986Encode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
