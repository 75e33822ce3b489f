export { type Harness, OPERATOR, ok, startHarness, statusOf } from '../e2e/harness.ts';
