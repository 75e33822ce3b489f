export { type Gateway, type GatewayConfig, createGateway, DEFAULT_BODY_LIMIT_BYTES } from './app.ts';
export { PROBLEM_BASE, ProblemError, problemStatus, problemType } from './problem.ts';
export { type ApiRoute, apiRoutes, API_PREFIX } from './routes.ts';
export { buildOpenApi, openApiPath } from './openapi.ts';
export { consoleDirSetting } from './console.ts';
