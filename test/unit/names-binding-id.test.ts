import { describe, expect, it } from '@jest/globals';
import { bindingIdFrom, isBindingId } from '../../lib/domain/names.js';

const random = (fill: number) => new Uint8Array(10).fill(fill);

describe('binding ids', () => {
  it('are b- plus 26 lower-case Crockford characters and valid execution names', () => {
    const id = bindingIdFrom(Date.UTC(2025, 0, 2, 3, 4, 5, 6), random(0xab));

    expect(id).toMatch(/^b-[0-9a-hjkmnp-tv-z]{26}$/);
    expect(id.length).toBeLessThanOrEqual(80);
    expect(isBindingId(id)).toBe(true);
  });

  it('sort by creation time as strings', () => {
    const earlier = bindingIdFrom(1_700_000_000_000, random(0xff));
    const later = bindingIdFrom(1_700_000_000_001, random(0x00));

    expect([later, earlier].sort()).toEqual([earlier, later]);
  });

  it('differ when the random part differs', () => {
    expect(bindingIdFrom(5, random(1))).not.toBe(bindingIdFrom(5, random(2)));
  });

  it('refuse times that do not fit 48 bits and short randomness', () => {
    expect(() => bindingIdFrom(-1, random(0))).toThrow(RangeError);
    expect(() => bindingIdFrom(2 ** 48, random(0))).toThrow(RangeError);
    expect(() => bindingIdFrom(1, new Uint8Array(4))).toThrow(RangeError);
  });

  it('are recognised only in their exact form', () => {
    const id = bindingIdFrom(1, random(7));

    for (const bad of [id.toUpperCase(), `${id}0`, id.slice(0, -1), `x-${id.slice(2)}`, 'b-../../etc', '']) {
      expect(isBindingId(bad)).toBe(false);
    }
  });
});
