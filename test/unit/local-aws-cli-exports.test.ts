// The export lines `npm start` prints for the AWS CLI: order, the CLI v1 region variable, quoting.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';
import { awsCliExports } from '../../lib/local/aws-cli-exports.js';

describe('awsCliExports', () => {
  it('exports endpoints, keys and both region variables, skipping what the sandbox did not set', () => {
    const lines = awsCliExports({
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_IAM: 'http://127.0.0.1:4566',
      AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:4566',
      AWS_ENDPOINT_URL_EKS: 'http://127.0.0.1:4566',
      AWS_ENDPOINT_URL_EVENTBRIDGE: 'http://127.0.0.1:4566',
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'a+b/c=',
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000',
    });

    expect(lines).toEqual([
      'export AWS_ENDPOINT_URL_IAM=http://127.0.0.1:4566',
      'export AWS_ENDPOINT_URL_STS=http://127.0.0.1:4566',
      'export AWS_ENDPOINT_URL_EKS=http://127.0.0.1:4566',
      'export AWS_ENDPOINT_URL_EVENTBRIDGE=http://127.0.0.1:4566',
      'export AWS_ACCESS_KEY_ID=AKIAEXAMPLE',
      'export AWS_SECRET_ACCESS_KEY=a+b/c=',
      'export AWS_REGION=us-east-1',
      'export AWS_DEFAULT_REGION=us-east-1',
    ]);
  });

  it('quotes a value a POSIX shell would split or expand, so pasting it gives the value back', () => {
    const secret = `it's $HOME & more`;

    const [line] = awsCliExports({ AWS_SECRET_ACCESS_KEY: secret });
    const echoed = execFileSync('sh', ['-c', `${line}; printf %s "$AWS_SECRET_ACCESS_KEY"`], {
      encoding: 'utf8',
    });

    expect(echoed).toBe(secret);
  });
});
