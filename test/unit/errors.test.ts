import { describe, expect, it } from '@jest/globals';
import {
  ClusterNotFoundError,
  InputError,
  RETRYABLE_ERROR_NAMES,
  TransientError,
} from '../../lib/domain/errors.js';

describe('error taxonomy', () => {
  it('gives every error a literal name that is also its code', () => {
    const error = new ClusterNotFoundError('no cluster "x" in us-east-1');
    expect(error.name).toBe('ClusterNotFound');
    expect(error.code).toBe('ClusterNotFound');
    expect(error.retryable).toBe(false);
    expect(error).toBeInstanceOf(Error);
  });

  it('keeps the cause and the field issues', () => {
    const cause = new Error('socket hang up');
    const transient = new TransientError('EKS did not answer', { cause });
    expect(transient.cause).toBe(cause);
    expect(RETRYABLE_ERROR_NAMES).toContain(transient.name);
    const input = new InputError('bad body', [{ path: 'namespace', message: 'must be a DNS-1123 label' }]);
    expect(input.issues).toEqual([{ path: 'namespace', message: 'must be a DNS-1123 label' }]);
  });
});
