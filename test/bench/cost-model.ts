// Cost of one binding from measured counts, at us-east-1 list prices (on-demand, no free tier).
export const PRICES = {
  /** Step Functions Standard, per state transition. */
  stepFunctionsTransition: 0.025 / 1000,
  /** Lambda, per GB-second. */
  lambdaGbSecond: { arm64: 0.0000133334, x86_64: 0.0000166667 },
  lambdaRequest: 0.2 / 1_000_000,
  dynamoDbWriteUnit: 0.625 / 1_000_000,
  dynamoDbReadUnit: 0.125 / 1_000_000,
  httpApiRequest: 1.0 / 1_000_000,
} as const;

export type Architecture = keyof typeof PRICES.lambdaGbSecond;

export interface PerBindingUsage {
  stateTransitions: number;
  /** Per function key: invocations and billed milliseconds per binding, at its configured memory. */
  lambda: Record<string, { invocations: number; billedMs: number; memoryMb: number }>;
  dynamoDbReadUnits: number;
  dynamoDbWriteUnits: number;
  httpApiRequests: number;
}

export interface CostBreakdown {
  architecture: Architecture;
  stepFunctions: number;
  lambdaCompute: number;
  lambdaRequests: number;
  dynamoDb: number;
  httpApi: number;
  total: number;
  gbSeconds: number;
  lambdaInvocations: number;
}

export function costPerBinding(usage: PerBindingUsage, architecture: Architecture): CostBreakdown {
  let gbSeconds = 0;
  let lambdaInvocations = 0;
  for (const fn of Object.values(usage.lambda)) {
    gbSeconds += (fn.billedMs / 1000) * (fn.memoryMb / 1024);
    lambdaInvocations += fn.invocations;
  }
  const stepFunctions = usage.stateTransitions * PRICES.stepFunctionsTransition;
  const lambdaCompute = gbSeconds * PRICES.lambdaGbSecond[architecture];
  const lambdaRequests = lambdaInvocations * PRICES.lambdaRequest;
  const dynamoDb =
    usage.dynamoDbWriteUnits * PRICES.dynamoDbWriteUnit + usage.dynamoDbReadUnits * PRICES.dynamoDbReadUnit;
  const httpApi = usage.httpApiRequests * PRICES.httpApiRequest;
  return {
    architecture,
    stepFunctions,
    lambdaCompute,
    lambdaRequests,
    dynamoDb,
    httpApi,
    total: stepFunctions + lambdaCompute + lambdaRequests + dynamoDb + httpApi,
    gbSeconds,
    lambdaInvocations,
  };
}

const usd = (value: number) => `$${value.toFixed(8)}`;

/** The formula with the measured numbers in it, one line per term. */
export function costFormula(usage: PerBindingUsage, cost: CostBreakdown): string[] {
  return [
    `Step Functions  ${usage.stateTransitions.toFixed(1)} transitions × $0.025/1000 = ${usd(cost.stepFunctions)}`,
    `Lambda compute  Σ(billed s × memory GB) = ${cost.gbSeconds.toFixed(4)} GB-s × $${PRICES.lambdaGbSecond[cost.architecture]} (${cost.architecture}) = ${usd(cost.lambdaCompute)}`,
    `Lambda requests ${cost.lambdaInvocations.toFixed(1)} invocations × $0.20/1M = ${usd(cost.lambdaRequests)}`,
    `DynamoDB        ${usage.dynamoDbWriteUnits.toFixed(1)} WRU × $0.625/1M + ${usage.dynamoDbReadUnits.toFixed(1)} RRU × $0.125/1M = ${usd(cost.dynamoDb)}`,
    `HTTP API        ${usage.httpApiRequests} requests × $1.00/1M = ${usd(cost.httpApi)}`,
    `total           ${usd(cost.total)} per binding`,
  ];
}
