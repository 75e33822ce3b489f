export * from './command.ts';
export * from './main.ts';
export * from './offboarding.ts';
export * from './provisioned-tenants.ts';
export * from './runtime.ts';
export * from './service.ts';
export * from './shutdown.ts';
export * from './views.ts';
