// Port: time, so polling steps can be tested without waiting.

export interface Clock {
  now(): Date;
  sleep(ms: number): Promise<void>;
}
