// @peculiar/x509 loads tsyringe, which refuses to start without a Reflect metadata API. x509 never
// reads decorator metadata we care about, so a minimal store satisfies it without another dependency.

type MetadataTarget = object;
interface ReflectMetadataApi {
  getMetadata?: (key: unknown, target: MetadataTarget) => unknown;
  getOwnMetadata?: (key: unknown, target: MetadataTarget) => unknown;
  defineMetadata?: (key: unknown, value: unknown, target: MetadataTarget) => void;
  hasMetadata?: (key: unknown, target: MetadataTarget) => boolean;
}

const api = Reflect as unknown as ReflectMetadataApi;
if (typeof api.getMetadata !== 'function') {
  const store = new WeakMap<MetadataTarget, Map<unknown, unknown>>();
  const own = (key: unknown, target: MetadataTarget) => store.get(target)?.get(key);
  const inherited = (key: unknown, target: MetadataTarget): unknown => {
    for (
      let t: MetadataTarget | null = target;
      t !== null;
      t = Object.getPrototypeOf(t) as MetadataTarget | null
    ) {
      const value = own(key, t);
      if (value !== undefined) return value;
    }
    return undefined;
  };
  api.getOwnMetadata = own;
  api.getMetadata = inherited;
  api.hasMetadata = (key, target) => inherited(key, target) !== undefined;
  api.defineMetadata = (key, value, target) => {
    const entries = store.get(target) ?? new Map<unknown, unknown>();
    entries.set(key, value);
    store.set(target, entries);
  };
}
