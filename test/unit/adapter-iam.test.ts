import { Readable } from 'node:stream';
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { describe, expect, it } from '@jest/globals';
import { HttpResponse } from '@smithy/protocol-http';
import { AwsIamOidcProviders } from '../../lib/adapters/aws/iam-oidc-providers.js';
import { AwsIamRoles } from '../../lib/adapters/aws/iam-roles.js';
import { StsAccountIdentity } from '../../lib/adapters/aws/sts-account-identity.js';
import {
  ConflictError,
  InputError,
  NotFoundError,
  PolicyNotFoundError,
  QuotaExceededError,
  RoleConflictError,
  ThrottledError,
  TransientError,
} from '../../lib/domain/errors.js';

interface Canned {
  status?: number;
  xml: string;
}
interface Call {
  action: string;
  params: URLSearchParams;
}

/** An awsQuery endpoint: decodes the form body, answers with canned XML, records every call. */
function awsQuery(answer: (call: Call) => Canned) {
  const calls: Call[] = [];
  const requestHandler = {
    async handle(request: { body?: unknown }) {
      const params = new URLSearchParams(String(request.body ?? ''));
      const call = { action: params.get('Action') ?? '', params };
      calls.push(call);
      const canned = answer(call);
      return {
        response: new HttpResponse({
          statusCode: canned.status ?? 200,
          headers: { 'content-type': 'text/xml' },
          body: Readable.from([Buffer.from(canned.xml)]),
        }),
      };
    },
  };
  const config = {
    region: 'us-east-1',
    maxAttempts: 1,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    requestHandler,
  };
  return { calls, iam: new IAMClient(config), sts: new STSClient(config) };
}

const ns = 'https://iam.amazonaws.com/doc/2010-05-08/';
const ok = (action: string, result = '') =>
  `<${action}Response xmlns="${ns}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></${action}Response>`;
const fault = (code: string, status: number, message = `${code} happened`): Canned => ({
  status,
  xml: `<ErrorResponse xmlns="${ns}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
});

const trust = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: {
        Federated: 'arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC',
      },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: {
        StringEquals: {
          'oidc.eks.us-east-1.amazonaws.com/id/ABC:sub': 'system:serviceaccount:apps:web',
          'oidc.eks.us-east-1.amazonaws.com/id/ABC:aud': 'sts.amazonaws.com',
        },
      },
    },
  ],
};
const roleXml = (extra = '') =>
  `<Role><Path>/irsa/</Path><RoleName>web</RoleName><RoleId>AROA1</RoleId><Arn>arn:aws:iam::111122223333:role/irsa/web</Arn>` +
  `<CreateDate>2024-01-01T00:00:00Z</CreateDate><AssumeRolePolicyDocument>${encodeURIComponent(JSON.stringify(trust))}</AssumeRolePolicyDocument>` +
  `<MaxSessionDuration>7200</MaxSessionDuration>${extra}</Role>`;

describe('AwsIamRoles.get', () => {
  it('decodes the URL-encoded trust policy and collects every page of attached policies', async () => {
    // Prepare
    const { iam, calls } = awsQuery(({ action, params }) => {
      if (action === 'GetRole') {
        return {
          xml: ok(
            'GetRole',
            roleXml(
              '<Description>web app</Description><Tags><member><Key>irsa-broker/binding</Key><Value>b-1</Value></member></Tags>' +
                '<PermissionsBoundary><PermissionsBoundaryType>Policy</PermissionsBoundaryType><PermissionsBoundaryArn>arn:aws:iam::111122223333:policy/boundary</PermissionsBoundaryArn></PermissionsBoundary>',
            ),
          ),
        };
      }
      const second = params.get('Marker') === 'page2';
      const policy = second ? 'arn:aws:iam::aws:policy/Second' : 'arn:aws:iam::aws:policy/First';
      return {
        xml: ok(
          'ListAttachedRolePolicies',
          `<AttachedPolicies><member><PolicyName>p</PolicyName><PolicyArn>${policy}</PolicyArn></member></AttachedPolicies>` +
            (second
              ? '<IsTruncated>false</IsTruncated>'
              : '<IsTruncated>true</IsTruncated><Marker>page2</Marker>'),
        ),
      };
    });

    // Act
    const role = await new AwsIamRoles(iam).get('web');

    // Assess
    expect(role).toEqual({
      name: 'web',
      arn: 'arn:aws:iam::111122223333:role/irsa/web',
      path: '/irsa/',
      trustPolicy: trust,
      tags: { 'irsa-broker/binding': 'b-1' },
      attachedPolicyArns: ['arn:aws:iam::aws:policy/First', 'arn:aws:iam::aws:policy/Second'],
      maxSessionDuration: 7200,
      description: 'web app',
      permissionsBoundaryArn: 'arn:aws:iam::111122223333:policy/boundary',
    });
    expect(calls.map((c) => c.action)).toEqual([
      'GetRole',
      'ListAttachedRolePolicies',
      'ListAttachedRolePolicies',
    ]);
    expect(calls[0]?.params.get('RoleName')).toBe('web');
  });

  it('answers undefined for a role that does not exist', async () => {
    const { iam } = awsQuery(() => fault('NoSuchEntity', 404, 'The role with name web cannot be found.'));
    await expect(new AwsIamRoles(iam).get('web')).resolves.toBeUndefined();
  });
});

describe('AwsIamRoles.create', () => {
  it('sends the trust policy as JSON with tags, path and session duration', async () => {
    // Prepare
    const { iam, calls } = awsQuery(() => ({ xml: ok('CreateRole', roleXml()) }));

    // Act
    const role = await new AwsIamRoles(iam).create({
      name: 'web',
      path: '/irsa/',
      trustPolicy: trust,
      tags: { owner: 'team-a' },
      maxSessionDuration: 7200,
    });

    // Assess
    const params = calls[0]?.params;
    expect(JSON.parse(params?.get('AssumeRolePolicyDocument') ?? '')).toEqual(trust);
    expect(params?.get('Path')).toBe('/irsa/');
    expect(params?.get('Tags.member.1.Key')).toBe('owner');
    expect(params?.get('Tags.member.1.Value')).toBe('team-a');
    expect(params?.get('MaxSessionDuration')).toBe('7200');
    expect(role.trustPolicy).toEqual(trust);
    expect(role.tags).toEqual({ owner: 'team-a' });
  });

  it.each([
    ['EntityAlreadyExists', 'RoleConflict', 409, RoleConflictError],
    ['MalformedPolicyDocument', 'InputError', 400, InputError],
    ['LimitExceeded', 'QuotaExceeded', 409, QuotaExceededError],
    ['ConcurrentModification', 'Transient', 409, TransientError],
    ['Throttling', 'Throttled', 400, ThrottledError],
    ['ServiceFailure', 'Transient', 500, TransientError],
  ])('turns %s into the domain error %s', async (code, name, status, type) => {
    const { iam } = awsQuery(() => fault(code, status));
    const attempt = new AwsIamRoles(iam).create({ name: 'web', path: '/', trustPolicy: trust, tags: {} });
    await expect(attempt).rejects.toBeInstanceOf(type);
    await expect(attempt).rejects.toHaveProperty('name', name);
  });

  it('names the role and what to change when the role name is taken', async () => {
    const { iam } = awsQuery(() => fault('EntityAlreadyExists', 409));
    await expect(
      new AwsIamRoles(iam).create({ name: 'web', path: '/', trustPolicy: trust, tags: {} }),
    ).rejects.toThrow(/"web" already exists\. Choose another roleName/);
  });
});

describe('AwsIamRoles policies and deletion', () => {
  it('reports a policy that does not exist as PolicyNotFound', async () => {
    const { iam } = awsQuery(() =>
      fault('NoSuchEntity', 404, 'Policy arn:aws:iam::aws:policy/Nope does not exist'),
    );
    await expect(
      new AwsIamRoles(iam).attachPolicy('web', 'arn:aws:iam::aws:policy/Nope'),
    ).rejects.toBeInstanceOf(PolicyNotFoundError);
  });

  it('sends the new trust policy on update', async () => {
    const { iam, calls } = awsQuery(() => ({ xml: ok('UpdateAssumeRolePolicy') }));
    await new AwsIamRoles(iam).updateTrustPolicy('web', trust);
    expect(calls[0]?.action).toBe('UpdateAssumeRolePolicy');
    expect(JSON.parse(calls[0]?.params.get('PolicyDocument') ?? '')).toEqual(trust);
  });

  it('detaches managed policies and deletes inline ones before deleting the role', async () => {
    // Prepare
    const { iam, calls } = awsQuery(({ action }) => {
      if (action === 'ListAttachedRolePolicies') {
        return {
          xml: ok(
            action,
            '<AttachedPolicies><member><PolicyArn>arn:aws:iam::aws:policy/A</PolicyArn></member></AttachedPolicies><IsTruncated>false</IsTruncated>',
          ),
        };
      }
      if (action === 'ListRolePolicies') {
        return {
          xml: ok(
            action,
            '<PolicyNames><member>inline</member></PolicyNames><IsTruncated>false</IsTruncated>',
          ),
        };
      }
      return { xml: ok(action) };
    });

    // Act
    const deleted = await new AwsIamRoles(iam).delete('web');

    // Assess
    expect(deleted).toBe(true);
    expect(calls.map((c) => c.action)).toEqual([
      'ListAttachedRolePolicies',
      'DetachRolePolicy',
      'ListRolePolicies',
      'DeleteRolePolicy',
      'DeleteRole',
    ]);
  });

  it('answers false when deleting a role that is already gone', async () => {
    const { iam } = awsQuery(() => fault('NoSuchEntity', 404));
    await expect(new AwsIamRoles(iam).delete('web')).resolves.toBe(false);
  });
});

describe('AwsIamOidcProviders', () => {
  const issuer = 'https://oidc.eks.us-east-1.amazonaws.com/id/ABC';
  const arn = 'arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC';

  it('finds the provider of an issuer among the account providers', async () => {
    // Prepare
    const { iam, calls } = awsQuery(({ action }) =>
      action === 'ListOpenIDConnectProviders'
        ? {
            xml: ok(
              action,
              `<OpenIDConnectProviderList><member><Arn>${arn}X</Arn></member><member><Arn>${arn}</Arn></member></OpenIDConnectProviderList>`,
            ),
          }
        : {
            xml: ok(
              action,
              '<Url>oidc.eks.us-east-1.amazonaws.com/id/ABC</Url><ClientIDList><member>sts.amazonaws.com</member></ClientIDList>' +
                '<Tags><member><Key>k</Key><Value>v</Value></member></Tags>',
            ),
          },
    );

    // Act
    const found = await new AwsIamOidcProviders(iam).find(`${issuer}/`);

    // Assess
    expect(found).toEqual({ arn, url: issuer, clientIds: ['sts.amazonaws.com'], tags: { k: 'v' } });
    expect(calls[1]?.params.get('OpenIDConnectProviderArn')).toBe(arn);
  });

  it('answers undefined when no provider matches', async () => {
    const { iam } = awsQuery(({ action }) => ({
      xml: ok(
        action,
        `<OpenIDConnectProviderList><member><Arn>${arn}X</Arn></member></OpenIDConnectProviderList>`,
      ),
    }));
    await expect(new AwsIamOidcProviders(iam).find(issuer)).resolves.toBeUndefined();
  });

  it('creates a provider without thumbprints and maps a duplicate to ConflictError', async () => {
    const created = awsQuery(({ action }) => ({
      xml: ok(action, `<OpenIDConnectProviderArn>${arn}</OpenIDConnectProviderArn>`),
    }));
    const provider = await new AwsIamOidcProviders(created.iam).create(issuer, ['sts.amazonaws.com'], {
      a: 'b',
    });
    const params = created.calls[0]?.params;
    expect(params?.get('Url')).toBe(issuer);
    expect(params?.get('ClientIDList.member.1')).toBe('sts.amazonaws.com');
    expect([...(params?.keys() ?? [])].some((k) => k.startsWith('ThumbprintList'))).toBe(false);
    expect(provider.arn).toBe(arn);

    const duplicate = awsQuery(() => fault('EntityAlreadyExists', 409));
    await expect(
      new AwsIamOidcProviders(duplicate.iam).create(issuer, ['sts.amazonaws.com'], {}),
    ).rejects.toBeInstanceOf(ConflictError);
  });

  it('reports adding a client id to a missing provider as NotFound', async () => {
    const { iam } = awsQuery(() => fault('NoSuchEntity', 404));
    await expect(new AwsIamOidcProviders(iam).addClientId(arn, 'sts.amazonaws.com')).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });
});

describe('StsAccountIdentity', () => {
  it('asks STS once and remembers the account', async () => {
    const { sts, calls } = awsQuery(() => ({
      xml: `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:sts::111122223333:assumed-role/broker/x</Arn><UserId>AROA:x</UserId><Account>111122223333</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
    }));
    const account = new StsAccountIdentity(sts);
    expect(await account.accountId()).toBe('111122223333');
    expect(await account.accountId()).toBe('111122223333');
    expect(calls).toHaveLength(1);
  });

  it('forgets a failed lookup so the next call retries', async () => {
    let failing = true;
    const { sts } = awsQuery(() =>
      failing
        ? fault('Throttling', 400)
        : {
            xml: `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Account>111122223333</Account></GetCallerIdentityResult></GetCallerIdentityResponse>`,
          },
    );
    const account = new StsAccountIdentity(sts);
    await expect(account.accountId()).rejects.toBeInstanceOf(ThrottledError);
    failing = false;
    await expect(account.accountId()).resolves.toBe('111122223333');
  });
});
