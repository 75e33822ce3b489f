export * from './metrics.ts';
export * from './work-metrics.ts';
export * from './tracing.ts';
